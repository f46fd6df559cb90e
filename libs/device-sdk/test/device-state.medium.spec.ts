import { DeviceClient, type DeviceClientOptions } from '@edgefleet/device-sdk';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';

describe('device SDK against the real server: state, desired handler, reconnect', () => {
  let t: TestApp;
  const clients: DeviceClient[] = [];
  beforeAll(async () => (t = await TestApp.start({}, { broker: true })));
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await t.stop();
  });

  async function device(id: string, options: Partial<DeviceClientOptions> = {}): Promise<DeviceClient> {
    const res = await t.request('POST', '/api/v1/devices', { id, type: 'sensor' });
    expect(res.status).toBe(201);
    const client = new DeviceClient({
      url: t.broker.mqtt,
      deviceId: id,
      password: res.body.credentials.password,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      ...options,
    });
    clients.push(client);
    return client;
  }
  const twin = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}/twin`)).body;

  it('reports its firmware and initial state on connect, and merges later reports', async () => {
    const client = await device('sdk-state-1', { firmwareVersion: '1.0.0', state: { temp: 20, net: { ssid: 'lab' } } });
    await client.start();
    await waitFor(() => twin('sdk-state-1'), (tw) => tw.reported?.firmware?.version === '1.0.0');
    client.reportState({ temp: 21.5, net: { rssi: -60 } });
    const merged = await waitFor(() => twin('sdk-state-1'), (tw) => tw.reported.temp === 21.5);
    expect(merged.reported).toEqual({ firmware: { version: '1.0.0' }, temp: 21.5, net: { ssid: 'lab', rssi: -60 } });
    client.reportState({ net: null });
    await waitFor(() => twin('sdk-state-1'), (tw) => !('net' in tw.reported));
    expect(client.state).toEqual({ firmware: { version: '1.0.0' }, temp: 21.5 });
  });

  it('hands a desired change to onDesired and reports what the handler returns; the delta then empties', async () => {
    const seen: unknown[] = [];
    const client = await device('sdk-desired-1', {
      state: { interval: 60 },
      handlers: {
        onDesired: (change) => {
          seen.push(change.delta);
          // The device caps the interval: it reports what it applied, not what was asked.
          return { ...change.delta, interval: Math.max(10, change.delta.interval as number) };
        },
      },
    });
    await client.start();
    const patched = await t.request('PATCH', '/api/v1/devices/sdk-desired-1/twin/desired', { interval: 5 });
    expect(patched.status).toBe(200);
    const after = await waitFor(() => twin('sdk-desired-1'), (tw) => tw.reported.interval === 10);
    expect(seen).toEqual([{ interval: 5 }]);
    expect(after.delta).toEqual({ interval: 5 });

    await t.request('PATCH', '/api/v1/devices/sdk-desired-1/twin/desired', { interval: 30, mode: 'eco' });
    const settled = await waitFor(() => twin('sdk-desired-1'), (tw) => tw.reported.interval === 30);
    expect(settled.reported).toMatchObject({ interval: 30, mode: 'eco' });
    expect(settled.delta).toEqual({});
    expect(seen).toEqual([{ interval: 5 }, { interval: 30, mode: 'eco' }]);
  });

  it('picks up desired state set while it was offline, from the retained document, when it connects', async () => {
    const changes: unknown[] = [];
    const client = await device('sdk-desired-2', { handlers: { onDesired: (change) => void changes.push(change.delta) } });
    await t.request('PATCH', '/api/v1/devices/sdk-desired-2/twin/desired', { led: 'blue' });
    await client.start();
    await waitFor(() => twin('sdk-desired-2'), (tw) => tw.reported.led === 'blue');
    expect(changes).toEqual([{ led: 'blue' }]);
  });

  it('reconnects by itself after the connection drops, and reports from the new session', async () => {
    const client = await device('sdk-reconnect-1', { state: { boot: 1 } });
    await client.start();
    const offline = new Promise<void>((resolve) => client.once('offline', () => resolve()));
    const online = new Promise<void>((resolve) => client.once('online', () => resolve()));
    client.dropConnection();
    await offline;
    await online;
    client.reportState({ after: 'reconnect' });
    await waitFor(() => twin('sdk-reconnect-1'), (tw) => tw.reported.after === 'reconnect');
    const listed = await waitFor(
      () => t.request('GET', '/api/v1/devices?status=online'),
      (res) => res.body.items.some((d: { id: string }) => d.id === 'sdk-reconnect-1'),
    );
    expect(listed.status).toBe(200);
  });

  it('announces its presence on the embedded broker, which accepts it and goes by its own sessions', async () => {
    const client = await device('sdk-presence-embedded');
    const refusals: unknown[] = [];
    client.on('server-error', (notice) => refusals.push(notice));
    const status = async () => (await t.request('GET', '/api/v1/devices/sdk-presence-embedded')).body.status;
    await client.start();
    await waitFor(status, (value) => value === 'online');

    // The dropped session's Will ({"online":false}) must not mark the reconnected device offline.
    const online = new Promise<void>((resolve) => client.once('online', () => resolve()));
    client.dropConnection();
    await online;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await status()).toBe('online');

    await client.stop();
    await waitFor(status, (value) => value === 'offline');
    expect(refusals).toEqual([]);
  });

  it('stops trying when the server refuses its credential', async () => {
    const client = await device('sdk-refused-1');
    await t.request('POST', '/api/v1/devices/sdk-refused-1/credentials/rotate');
    await expect(client.start()).rejects.toThrow(/CONNACK 4/);
    expect(client.online).toBe(false);
  });
});
