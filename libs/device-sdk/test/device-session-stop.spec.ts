import { type AddressInfo, type Server, createServer } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import type { DeviceSession } from '../src/device-session';
import { testSession } from './support/test-session';

/**
 * stop() while a QoS 1 message is still unacknowledged (the server acknowledges a job status
 * only once it has handled it, and holds publishes while it is overloaded) and the connection
 * is lost meanwhile: here another CONNECT with the same client id takes the session over, as a
 * late CONNECT from an attempt that had timed out did in bench:rollout. The SDK reboots into
 * new firmware with stop() → reboot → start(), so a stop() that never returns is a device that
 * never comes back.
 */
describe('DeviceSession.stop() with messages in flight', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  const held: Array<() => void> = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      // Never acknowledges `held/…`: the server is still handling it.
      authorizePublish: (_client, packet, done) => (packet.topic.startsWith('held/') ? held.push(() => done(null)) : done(null)),
    });
    server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function session(deviceId: string, presence = false): DeviceSession {
    return testSession(url, deviceId, presence ? { presence: { topic: `held/${deviceId}/presence`, online: 'on', offline: 'off' } } : {});
  }

  async function online(s: DeviceSession): Promise<void> {
    const ready = new Promise<void>((resolve) => s.once('online', resolve));
    s.start();
    await ready;
  }

  it.each([
    ['a job status', false],
    ['a job status and the offline presence', true],
  ])('returns once the connection is taken over while %s awaits its PUBACK, and fails what was in flight', async (_what, presence) => {
    const deviceId = presence ? 'dev-presence' : 'dev-plain';
    const s = session(deviceId, presence);
    await online(s);
    const delivered = s.publish(`held/${deviceId}/jobs/j1/status`, '{"status":"rebooting"}');
    const stopped = s.stop().then(() => 'stopped');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const takeover = await connectAsync(url, { clientId: deviceId, protocolVersion: 4, reconnectPeriod: 0 });
    try {
      // Well within the 30 s grace: the lost connection ends the wait, not a timer.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 2_000)))]);
      clearTimeout(timer);
      expect(outcome).toBe('stopped');
      expect(s.online).toBe(false);
      await expect(delivered).resolves.toBe(false);
    } finally {
      await takeover.endAsync(true);
    }
  });

  it('still waits for the acknowledgement while the connection lasts, then disconnects', async () => {
    const s = session('dev-acked');
    await online(s);
    const released = held.length;
    const delivered = s.publish('held/dev-acked/jobs/j1/status', '{"status":"rebooting"}');
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);
    held.splice(released).forEach((release) => release());
    await stopping;
    await expect(delivered).resolves.toBe(true);
  });
});
