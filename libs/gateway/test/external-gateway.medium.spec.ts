import { type MqttClient, connectAsync } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { type Mosquitto, startMosquitto } from '../../../test/support/mosquitto';
import { collect, sleep, waitFor } from '../../../test/support/mqtt-device';
import { ProbeHandler, ProbeModule } from './probe-handler';

/**
 * BROKER_URL mode against a real Mosquitto: the same probe handler, reached through Nest's
 * MQTT transport with a shared subscription and our deserializer.
 */
describe('device gateway, external broker (real Mosquitto)', () => {
  let mosquitto: Mosquitto;
  let first: TestApp;
  let second: TestApp;
  let device: MqttClient;
  let inbox: Array<{ topic: string; payload: string }>;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    first = await TestApp.start({ BROKER_URL: mosquitto.url }, { broker: true, imports: [ProbeModule] });
    // A second server process on the same database and broker, as in CONTRACT §4 scale-out.
    second = await TestApp.start({ BROKER_URL: mosquitto.url }, { broker: true, imports: [ProbeModule], database: first.database });
    // Mosquitto here has no per-device auth (that is the external broker's job); this client plays a device.
    device = await connectAsync(mosquitto.url, { clientId: 'ext-1', protocolVersion: 4, reconnectPeriod: 0 });
    await device.subscribeAsync('devices/ext-1/#', { qos: 1 });
    inbox = collect(device);
  });
  beforeEach(() => inbox.splice(0));
  afterAll(async () => {
    await device?.endAsync(true);
    await second?.stop();
    await first?.stop();
    await mosquitto?.stop();
  });

  const messagesOn = (topic: string) => inbox.filter((message) => message.topic === topic).map((message) => JSON.parse(message.payload));
  const handled = () => first.app.get(ProbeHandler).received.length + second.app.get(ProbeHandler).received.length;

  it('reports the external broker as the MQTT address, and its connection in /health', async () => {
    expect(first.broker.mqtt).toBe(mosquitto.url);
    const health = await first.request('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body.broker).toMatchObject({ status: 'up', external: true });
  });

  it('handles a device message once across two servers, and answers through the external broker', async () => {
    const before = handled();
    await device.publishAsync('devices/ext-1/probe', JSON.stringify({ text: 'hello' }), { qos: 1 });
    await waitFor(() => messagesOn('devices/ext-1/probe/echo'), (echoes) => echoes.length === 1);
    await sleep(300);
    expect(messagesOn('devices/ext-1/probe/echo')).toEqual([{ text: 'hello' }]);
    expect(handled() - before).toBe(1);
  });

  it('splits a stream of messages between the servers, each message handled exactly once', async () => {
    const before = [first, second].map((app) => app.app.get(ProbeHandler).received.length);
    const texts = Array.from({ length: 40 }, (_, i) => `s${i}`);
    for (const text of texts) await device.publishAsync('devices/ext-1/probe', JSON.stringify({ text }), { qos: 1 });
    await waitFor(() => messagesOn('devices/ext-1/probe/echo'), (echoes) => echoes.length >= texts.length, 10_000);
    await sleep(300);
    expect(messagesOn('devices/ext-1/probe/echo').map((echo) => echo.text).sort()).toEqual([...texts].sort());
    const after = [first, second].map((app) => app.app.get(ProbeHandler).received.length);
    const shares = after.map((count, i) => count - before[i]);
    expect(shares[0] + shares[1]).toBe(texts.length);
    expect(Math.min(...shares)).toBeGreaterThan(0);
  });

  it('passes envelope-like payloads through untouched and never answers on <topic>/reply', async () => {
    const payload = { text: 'envelope-like', id: 'r1', data: { a: 1 }, pattern: 'x' };
    await device.publishAsync('devices/ext-1/probe', JSON.stringify(payload), { qos: 1 });
    await waitFor(() => messagesOn('devices/ext-1/probe/echo'), (echoes) => echoes.length === 1);
    await sleep(300);
    expect(messagesOn('devices/ext-1/probe/echo')).toEqual([payload]);
    expect(inbox.some((message) => message.topic.endsWith('/reply'))).toBe(false);
  });

  it('refuses a bad payload on the errors topic with the same message as the embedded mode', async () => {
    const before = handled();
    await device.publishAsync('devices/ext-1/probe', 'not json', { qos: 1 });
    await waitFor(() => messagesOn('devices/ext-1/errors'), (errors) => errors.length === 1);
    expect(messagesOn('devices/ext-1/errors')).toEqual([{ topic: 'devices/ext-1/probe', message: 'expected an object with a string "text"' }]);
    expect(handled()).toBe(before);
  });
});
