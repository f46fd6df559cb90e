import type { MqttClient } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { closed, collect, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';
import { DirectProbe, ProbeHandler, ProbeModule } from './probe-handler';

describe('device gateway, embedded broker: direct routes skip Nest’s pipeline and keep its behaviour', () => {
  let t: TestApp;
  let device: MqttClient;
  let inbox: Array<{ topic: string; payload: string }>;
  beforeAll(async () => {
    t = await TestApp.start({}, { broker: true, imports: [ProbeModule] });
    device = await connectDevice(t.broker.mqtt, await t.registerDevice('dr-1'));
    await device.subscribeAsync('devices/dr-1/#', { qos: 1 });
    inbox = collect(device);
  });
  beforeEach(() => inbox.splice(0));
  afterAll(async () => {
    await device.endAsync(true);
    await t.stop();
  });

  const probe = () => t.app.get(DirectProbe);
  const messagesOn = (topic: string) => inbox.filter((message) => message.topic === topic).map((message) => JSON.parse(message.payload));

  it('hands a valid message to the route with the device id from the topic, in the order the device sent them', async () => {
    const nestBefore = t.app.get(ProbeHandler).received.length;
    for (let n = 0; n < 20; n++) device.publish('devices/dr-1/direct', JSON.stringify({ text: `m${n}` }), { qos: 0 });
    await waitFor(() => messagesOn('devices/dr-1/direct/echo'), (echoes) => echoes.length === 20);
    expect(probe().received.slice(-20)).toEqual(Array.from({ length: 20 }, (_, n) => ({ deviceId: 'dr-1', payload: { text: `m${n}` } })));
    expect(t.app.get(ProbeHandler).received.length).toBe(nestBefore);
  });

  it.each([
    ['not JSON', 'not json at all'],
    ['the wrong shape', JSON.stringify({ text: 42 })],
  ])('refuses a payload that is %s on the errors topic, and the route never runs', async (_what, payload) => {
    const before = probe().received.length;
    await device.publishAsync('devices/dr-1/direct', payload, { qos: 1 });
    await waitFor(() => messagesOn('devices/dr-1/errors'), (errors) => errors.length === 1);
    expect(messagesOn('devices/dr-1/errors')).toEqual([{ topic: 'devices/dr-1/direct', message: 'expected an object with a string "text"' }]);
    expect(probe().received.length).toBe(before);
  });

  it('answers a domain error with its message and a server failure without internals, and counts both', async () => {
    await device.publishAsync('devices/dr-1/direct', JSON.stringify({ text: 'fail' }), { qos: 1 });
    await device.publishAsync('devices/dr-1/direct', JSON.stringify({ text: 'crash' }), { qos: 1 });
    await waitFor(() => messagesOn('devices/dr-1/errors'), (errors) => errors.length === 2);
    expect(messagesOn('devices/dr-1/errors')).toEqual([
      { topic: 'devices/dr-1/direct', message: 'probe refused' },
      { topic: 'devices/dr-1/direct', message: 'the server could not process this message' },
    ]);
    const metrics = (await t.request('GET', '/metrics', undefined, null)).body as string;
    expect(Number(/edgefleet_gateway_messages_total\{outcome="refused"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/edgefleet_gateway_messages_total\{outcome="failed"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('sends the PUBACK of a kind acknowledged after handling once the route has finished', async () => {
    let acked = false;
    const publishing = device.publishAsync('devices/dr-1/direct/held', JSON.stringify({ text: 'must not be lost' }), { qos: 1 }).then(() => (acked = true));
    await sleep(300);
    expect(acked).toBe(false);
    probe().release();
    await publishing;
    expect(probe().handledHeld).toEqual(['must not be lost']);
  });

  it('closes the connection without a PUBACK when such a message could not be handled, so the device sends it again', async () => {
    const client = await connectDevice(t.broker.mqtt, await t.registerDevice('dr-crash'));
    const gone = closed(client);
    let acked = false;
    void client.publishAsync('devices/dr-crash/direct/held', JSON.stringify({ text: 'crash' }), { qos: 1 }).then(() => (acked = true), () => undefined);
    await gone;
    expect(acked).toBe(false);
    await client.endAsync(true);
  });
});
