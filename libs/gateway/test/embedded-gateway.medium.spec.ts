import type { MqttClient } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { closed, collect, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';
import { ProbeHandler, ProbeModule } from './probe-handler';

describe('device gateway, embedded broker: aedes packets reach @EventPattern handlers in process', () => {
  let t: TestApp;
  let device: MqttClient;
  let inbox: Array<{ topic: string; payload: string }>;
  beforeAll(async () => {
    t = await TestApp.start({}, { broker: true, imports: [ProbeModule] });
    const res = await t.request('POST', '/api/v1/devices', { id: 'gw-1', type: 'cam' });
    device = await connectDevice(t.broker.mqtt, { id: 'gw-1', password: res.body.credentials.password });
    await device.subscribeAsync('devices/gw-1/#', { qos: 1 });
    inbox = collect(device);
  });
  beforeEach(() => inbox.splice(0));
  afterAll(async () => {
    await device.endAsync(true);
    await t.stop();
  });

  const probe = () => t.app.get(ProbeHandler);
  const messagesOn = (topic: string) => inbox.filter((message) => message.topic === topic).map((message) => JSON.parse(message.payload));

  it('dispatches a valid message to its handler with the device id from the topic, and the handler answers', async () => {
    await device.publishAsync('devices/gw-1/probe', JSON.stringify({ text: 'hello' }), { qos: 1 });
    await waitFor(() => messagesOn('devices/gw-1/probe/echo'), (echoes) => echoes.length === 1);
    expect(messagesOn('devices/gw-1/probe/echo')).toEqual([{ text: 'hello' }]);
    expect(probe().received.at(-1)).toEqual({ deviceId: 'gw-1', payload: { text: 'hello' } });
  });

  it('passes payloads with top-level data, pattern or id keys through untouched, and never answers on <topic>/reply', async () => {
    const payload = { text: 'envelope-like', id: 'x1', data: { a: 1 }, pattern: 'devices/other/probe' };
    await device.publishAsync('devices/gw-1/probe', JSON.stringify(payload), { qos: 1 });
    await waitFor(() => messagesOn('devices/gw-1/probe/echo'), (echoes) => echoes.length === 1);
    expect(messagesOn('devices/gw-1/probe/echo')).toEqual([payload]);
    await sleep(200);
    expect(inbox.some((message) => message.topic.endsWith('/reply'))).toBe(false);
  });

  it.each([
    ['not JSON', 'not json at all', 'expected an object with a string "text"'],
    ['the wrong shape', JSON.stringify({ text: 42 }), 'expected an object with a string "text"'],
    ['a JSON array', '[1,2]', 'expected an object with a string "text"'],
  ])('refuses a payload that is %s on the errors topic, and the handler never runs', async (_what, payload, message) => {
    const before = probe().received.length;
    await device.publishAsync('devices/gw-1/probe', payload, { qos: 1 });
    await waitFor(() => messagesOn('devices/gw-1/errors'), (errors) => errors.length === 1);
    expect(messagesOn('devices/gw-1/errors')).toEqual([{ topic: 'devices/gw-1/probe', message }]);
    expect(probe().received.length).toBe(before);
  });

  it('answers a domain error with its message, and a server failure without internals', async () => {
    await device.publishAsync('devices/gw-1/probe', JSON.stringify({ text: 'fail' }), { qos: 1 });
    await device.publishAsync('devices/gw-1/probe', JSON.stringify({ text: 'crash' }), { qos: 1 });
    await waitFor(() => messagesOn('devices/gw-1/errors'), (errors) => errors.length === 2);
    expect(messagesOn('devices/gw-1/errors')).toEqual([
      { topic: 'devices/gw-1/probe', message: 'probe refused' },
      { topic: 'devices/gw-1/probe', message: 'the server could not process this message' },
    ]);
  });

  it('counts a topic no handler takes without refusing it (the broker still routes it to subscribers)', async () => {
    await device.publishAsync('devices/gw-1/nowhere', '{}', { qos: 1 });
    await waitFor(() => inbox.filter((message) => message.topic === 'devices/gw-1/nowhere'), (routed) => routed.length === 1);
    await sleep(100);
    expect(messagesOn('devices/gw-1/errors')).toEqual([]);
  });

  it('keeps a device’s messages in the order it sent them', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const text of texts) device.publish('devices/gw-1/probe', JSON.stringify({ text }), { qos: 0 });
    await waitFor(() => messagesOn('devices/gw-1/probe/echo'), (echoes) => echoes.length === texts.length);
    expect(messagesOn('devices/gw-1/probe/echo').map((echo) => echo.text)).toEqual(texts);
  });

  it('counts gateway outcomes on /metrics', async () => {
    const metrics = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(metrics).toMatch(/edgefleet_gateway_messages_total\{outcome="dispatched"\} [1-9]/);
    expect(metrics).toMatch(/edgefleet_gateway_messages_total\{outcome="refused"\} [1-9]/);
    expect(metrics).toMatch(/edgefleet_gateway_messages_total\{outcome="unrouted"\} [1-9]/);
  });

  it('sends the PUBACK of a message kind acknowledged after handling only once its handler has finished', async () => {
    let acked = false;
    const publishing = device.publishAsync('devices/gw-1/probe/held', JSON.stringify({ text: 'must not be lost' }), { qos: 1 }).then(() => (acked = true));
    await sleep(300);
    expect(acked).toBe(false);
    probe().release();
    await publishing;
    expect(probe().handledHeld).toEqual(['must not be lost']);
  });

  it('acknowledges other message kinds on receipt, while their handler still runs', async () => {
    probe().handledHeld = [];
    await device.publishAsync('devices/gw-1/probe/loose', JSON.stringify({ text: 'loose' }), { qos: 1 });
    expect(probe().handledHeld).toEqual([]);
    probe().release();
    await waitFor(() => probe().handledHeld, (handled) => handled.length === 1);
  });

  it('closes the connection without a PUBACK when such a message could not be handled, so the device sends it again', async () => {
    const res = await t.request('POST', '/api/v1/devices', { id: 'gw-crash', type: 'cam' });
    const client = await connectDevice(t.broker.mqtt, { id: 'gw-crash', password: res.body.credentials.password });
    const gone = closed(client);
    let acked = false;
    void client.publishAsync('devices/gw-crash/probe/held', JSON.stringify({ text: 'crash' }), { qos: 1 }).then(() => (acked = true), () => undefined);
    await gone;
    expect(acked).toBe(false);
    const metrics = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(metrics).toMatch(/edgefleet_mqtt_messages_dropped_total\{reason="not-handled"\} 1/);
    await client.endAsync(true);
  });
});
