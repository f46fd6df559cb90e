import type { MqttClient } from 'mqtt';
import { DeviceRepository } from '@edgefleet/registry';
import { TestApp } from '../../../test/support/test-app';
import { type DeviceLogin, closed, collect, connackCode, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';

describe('embedded broker: device sessions (real Postgres, real listeners)', () => {
  let t: TestApp;
  const open: MqttClient[] = [];
  beforeAll(async () => (t = await TestApp.start({}, { broker: true })));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
  });
  afterAll(() => t.stop());

  const register = (id: string): Promise<DeviceLogin> => t.registerDevice(id);
  const connect = async (login: DeviceLogin, url = t.broker.mqtt) => {
    const client = await connectDevice(url, login);
    open.push(client);
    return client;
  };
  const statusOf = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}`)).body.status as string;

  it('accepts a registered device, shows it online, then offline after it disconnects', async () => {
    const login = await register('cam-1');
    const before = Date.now();
    const client = await connect(login);
    await waitFor(() => statusOf('cam-1'), (status) => status === 'online');
    const online = await t.request('GET', '/api/v1/devices?status=online');
    expect(online.body.items.map((d: { id: string }) => d.id)).toEqual(['cam-1']);
    const device = (await t.request('GET', '/api/v1/devices/cam-1')).body;
    expect(new Date(device.lastSeenAt).getTime()).toBeGreaterThanOrEqual(before - 5);

    await client.endAsync();
    await waitFor(() => statusOf('cam-1'), (status) => status === 'offline');
    expect((await t.request('GET', '/api/v1/devices?status=online')).body.items).toEqual([]);
  });

  it('keeps a device online when a new session takes over its client id', async () => {
    const login = await register('cam-takeover');
    const first = await connect(login);
    const firstClosed = closed(first);
    await connect(login);
    await firstClosed;
    await sleep(400);
    expect(await statusOf('cam-takeover')).toBe('online');
  });

  it('refuses bad CONNECTs with the CONNACK code that says why (MQTT 3.1.1 §3.2.2.3)', async () => {
    const login = await register('cam-2');
    const url = t.broker.mqtt;
    expect(await connackCode(url, { clientId: 'cam-2', username: 'cam-2', password: 'wrong' })).toBe(4);
    expect(await connackCode(url, { clientId: 'cam-2', username: 'cam-2' })).toBe(4);
    expect(await connackCode(url, { clientId: 'ghost', username: 'ghost', password: login.password })).toBe(5);
    expect(await connackCode(url, { clientId: 'other', username: 'cam-2', password: login.password })).toBe(2);
    expect(await connackCode(url, { clientId: 'cam-2', username: 'cam-2', password: login.password })).toBe(0);

    const metrics = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(metrics).toMatch(/edgefleet_mqtt_connects_refused_total\{reason="bad-password"\} 1/);
    expect(metrics).toMatch(/edgefleet_mqtt_connects_refused_total\{reason="unknown-device"\} 1/);
    expect(metrics).toMatch(/edgefleet_mqtt_connects_refused_total\{reason="client-id-mismatch"\} 1/);
  });

  it('drops a publish to another device, tells the sender on its errors topic, and keeps the session', async () => {
    const a = await connect(await register('pub-a'));
    const b = await connect(await register('pub-b'));
    const toA = collect(a);
    const toB = collect(b);
    await a.subscribeAsync('devices/pub-a/#');
    await b.subscribeAsync('devices/pub-b/#');

    await a.publishAsync('devices/pub-b/state/reported', '{"spoofed":true}', { qos: 1 });
    await a.publishAsync('devices/pub-a/state/reported', '{"mine":true}', { qos: 1 });
    await waitFor(() => toA.length, (n) => n >= 2);
    await sleep(200);

    expect(toB).toEqual([]);
    expect(toA).toEqual([
      { topic: 'devices/pub-a/errors', payload: expect.any(String) },
      { topic: 'devices/pub-a/state/reported', payload: '{"mine":true}' },
    ]);
    expect(JSON.parse(toA[0].payload)).toEqual({ topic: 'devices/pub-b/state/reported', message: expect.stringContaining('devices/pub-a/') });
    expect(a.connected).toBe(true);
  });

  it('grants a subscription outside the device prefix as failure 0x80', async () => {
    const a = await connect(await register('sub-a'));
    // mqtt.js rejects a SUBACK holding any failure, with the packet attached.
    const refused = await a.subscribeAsync(['devices/sub-b/#', 'devices/+/state/desired', '$SYS/#', 'devices/sub-a/#'], { qos: 1 }).catch((error) => error);
    expect(refused.packet.granted).toEqual([128, 128, 128, 1]);
    expect(a.connected).toBe(true);
  });

  it('closes a live session within a second of decommissioning, and refuses it afterwards', async () => {
    const login = await register('gone-1');
    const client = await connect(login);
    await waitFor(() => statusOf('gone-1'), (status) => status === 'online');
    const gone = closed(client);
    const started = Date.now();
    expect((await t.request('DELETE', '/api/v1/devices/gone-1')).status).toBe(204);
    await gone;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await connackCode(t.broker.mqtt, { clientId: 'gone-1', username: 'gone-1', password: login.password })).toBe(5);
  });

  it('closes a live session within a second of rotation; only the new password works', async () => {
    const login = await register('rot-1');
    const client = await connect(login);
    const gone = closed(client);
    const started = Date.now();
    const rotated = await t.request('POST', '/api/v1/devices/rot-1/credentials/rotate');
    expect(rotated.status).toBe(200);
    await gone;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await connackCode(t.broker.mqtt, { clientId: 'rot-1', username: 'rot-1', password: login.password })).toBe(4);
    expect(await connackCode(t.broker.mqtt, { clientId: 'rot-1', username: 'rot-1', password: rotated.body.password })).toBe(0);
  });

  it('connects a device over WebSocket on /mqtt', async () => {
    expect(t.broker.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const client = await connect(await register('ws-1'), t.broker.ws);
    const received = collect(client);
    await client.subscribeAsync('devices/ws-1/#');
    await client.publishAsync('devices/ws-1/state/reported', '{"over":"ws"}', { qos: 1 });
    await waitFor(() => received.length, (n) => n === 1);
    await waitFor(() => statusOf('ws-1'), (status) => status === 'online');
  });

  it('authenticates a burst of 200 connects with a handful of batched credential queries', async () => {
    const devices = Array.from({ length: 200 }, (_, i) => ({ id: `storm-${String(i).padStart(3, '0')}`, type: 'sensor' }));
    const registered = await t.request('POST', '/api/v1/devices/batch', { devices });
    const logins: DeviceLogin[] = registered.body.devices.map((d: { id: string; credentials: { password: string } }) => ({ id: d.id, password: d.credentials.password }));
    const queries = jest.spyOn(t.app.get(DeviceRepository), 'findCredentials');
    const clients = await Promise.all(logins.map((login) => connect(login)));
    expect(clients.every((client) => client.connected)).toBe(true);
    // One query per 10 ms window while CONNECTs arrive: on a loaded host the 200 arrive over a few
    // hundred ms (24 windows seen in a full suite run), against 200 queries unbatched.
    expect(queries.mock.calls.length).toBeLessThanOrEqual(40);
    expect(queries.mock.calls.flatMap(([ids]) => ids)).toHaveLength(200);
    queries.mockRestore();
    const online = () => t.request('GET', '/api/v1/devices?status=online&q=storm-&limit=500').then((r) => r.body.items.length);
    await waitFor(online, (n) => n === 200);
  });

  it('reports the broker in /health and its counters in /metrics', async () => {
    await connect(await register('health-1'));
    await waitFor(() => t.request('GET', '/health', undefined, null).then((r) => r.body.broker.clients), (n) => n === 1);
    const health = await t.request('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body.broker).toEqual({ status: 'up', clients: 1 });
    const metrics = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(metrics).toMatch(/edgefleet_mqtt_connected_clients 1/);
    expect(metrics).toMatch(/edgefleet_mqtt_connects_total \d+/);
    expect(metrics).toMatch(/edgefleet_mqtt_messages_received_total \d+/);
    expect(metrics).toMatch(/edgefleet_mqtt_messages_sent_total \d+/);
    expect(metrics).toMatch(/edgefleet_mqtt_messages_dropped_total\{reason="acl"\} 1/);
  });
});
