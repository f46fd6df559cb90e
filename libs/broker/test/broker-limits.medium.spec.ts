import { TestApp } from '../../../test/support/test-app';
import { closed, collect, connackCode, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';

describe('embedded broker: packet size and publish rate limits', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await TestApp.start({ MQTT_MAX_PACKET_BYTES: '1024', MQTT_RATE_LIMIT_PER_SEC: '5', MQTT_RATE_LIMIT_BURST: '5' }, { broker: true })),
  );
  afterAll(() => t.stop());

  const register = (id: string) => t.registerDevice(id);
  const metric = async (pattern: RegExp) => Number(pattern.exec((await t.request('GET', '/metrics', undefined, null)).body)?.[1]);

  it('closes the connection of a device that sends a packet over MQTT_MAX_PACKET_BYTES, and routes nothing', async () => {
    const login = await register('big-1');
    const listener = await connectDevice(t.broker.mqtt, await register('big-listener'));
    const sender = await connectDevice(t.broker.mqtt, login);
    const echoes = collect(sender);
    await sender.subscribeAsync('devices/big-1/#');
    await sender.publishAsync('devices/big-1/telemetry', Buffer.alloc(900, 'a'), { qos: 0 });
    await waitFor(() => echoes.length, (n) => n === 1);

    const gone = closed(sender);
    sender.publish('devices/big-1/telemetry', Buffer.alloc(2048, 'b'), { qos: 0 });
    await gone;
    expect(echoes).toHaveLength(1);
    expect(await metric(/edgefleet_mqtt_messages_dropped_total\{reason="too-large"\} (\d+)/)).toBe(1);
    expect(listener.connected).toBe(true);
    await listener.endAsync();
  });

  it('drops publishes over the rate limit, counts them, and tells the device once a second at most', async () => {
    const client = await connectDevice(t.broker.mqtt, await register('chatty-1'));
    const received = collect(client);
    await client.subscribeAsync('devices/chatty-1/#');
    for (let i = 0; i < 30; i++) client.publish('devices/chatty-1/telemetry', String(i), { qos: 0 });
    await sleep(500);

    const data = received.filter((m) => m.topic === 'devices/chatty-1/telemetry');
    const notices = received.filter((m) => m.topic === 'devices/chatty-1/errors');
    // The burst of 5, plus whatever trickled back in while the 30 were being sent.
    expect(data.length).toBeGreaterThanOrEqual(5);
    expect(data.length).toBeLessThan(10);
    expect(notices).toHaveLength(1);
    expect(JSON.parse(notices[0].payload)).toEqual({ topic: 'devices/chatty-1/telemetry', message: expect.stringContaining('rate limit') });
    expect(await metric(/edgefleet_mqtt_messages_dropped_total\{reason="rate-limit"\} (\d+)/)).toBe(30 - data.length);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});

describe('embedded broker: connection cap', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ MQTT_MAX_CONNECTIONS: '2' }, { broker: true })));
  afterAll(() => t.stop());

  it('answers a CONNECT past MQTT_MAX_CONNECTIONS with 0x03 server unavailable, and admits it once a session ends', async () => {
    const logins = await Promise.all(['cap-1', 'cap-2', 'cap-3'].map((id) => t.registerDevice(id)));
    const first = await connectDevice(t.broker.mqtt, logins[0]);
    const second = await connectDevice(t.broker.mqtt, logins[1]);
    const third = { clientId: 'cap-3', username: 'cap-3', password: logins[2].password };
    expect(await connackCode(t.broker.mqtt, third)).toBe(3);
    const refused = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(refused).toMatch(/edgefleet_mqtt_connects_refused_total\{reason="capacity"\} 1/);

    await first.endAsync();
    await waitFor(() => connackCode(t.broker.mqtt, third), (code) => code === 0);
    await second.endAsync();
  });
});
