import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { DeviceSession } from '../src/device-session';
import { testSession } from './support/test-session';

/**
 * An attempt that stalls must end and be retried. mqtt.js' `connectTimeout` covers only the
 * CONNACK: a server that accepted the CONNECT but never answered the SUBSCRIBE left the device
 * connected yet never `online`, with no further attempt, for as long as the TCP connection lived.
 */
describe('DeviceSession attempt watchdog', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  /** How the next connections are treated, in order; then they go to aedes. */
  let script: Array<'silent' | 'no-suback'> = [];
  let connections = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      const mode = script.shift();
      if (mode === 'silent') return; // accepts, reads, never answers
      if (mode === 'no-suback') {
        // CONNACK (session present 0, accepted) to the CONNECT; everything after it goes unanswered.
        socket.once('data', () => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])));
        return;
      }
      broker.handle(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    connections = 0;
  });

  function session(deviceId: string): DeviceSession {
    return testSession(url, deviceId, { connectTimeoutMs: 300 });
  }

  async function onlineWithin(s: DeviceSession, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const online = new Promise<boolean>((resolve) => s.once('online', () => resolve(true)));
    s.start();
    const outcome = await Promise.race([online, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
    clearTimeout(timer);
    return outcome;
  }

  it('gives up on a SUBSCRIBE that is never answered, reconnects, and comes online', async () => {
    script = ['no-suback'];
    const s = session('dev-no-suback');
    const offline = jest.fn();
    s.on('offline', offline);
    try {
      expect(await onlineWithin(s, 3_000)).toBe(true);
      expect(connections).toBe(2);
      // The stalled attempt was connected but never online: no `offline` without an `online`.
      expect(offline).not.toHaveBeenCalled();
      expect(s.online).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('gives up on a CONNECT that is never answered, reconnects, and comes online', async () => {
    script = ['silent', 'silent'];
    const s = session('dev-silent');
    try {
      expect(await onlineWithin(s, 3_000)).toBe(true);
      expect(connections).toBe(3);
    } finally {
      await s.stop();
    }
  });
});
