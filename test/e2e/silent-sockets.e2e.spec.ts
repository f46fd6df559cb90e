import { type Socket, connect } from 'node:net';
import { connectDevice, waitFor } from '../support/mqtt-device';
import { ServerProcess } from '../support/server-process';
import { type TestDatabase, createTestDatabase } from '../support/test-database';

const TOKEN = 'efk_silent-sockets-test-admin-token';
/** The server's open-files limit: its cap becomes 1,024 − 512 = 512 sessions. */
const OPEN_FILES = 1_024;
/** More silent sockets than the server has descriptors. */
const SILENT = 1_500;

function openSilent(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
  });
}

/**
 * Issue #15 (5): sockets that never send CONNECT used to take every file descriptor, after
 * which devices were closed before CONNACK and the REST API failed. Now they count against the
 * cap from accept, so the database and HTTP keep their descriptors and devices still get in.
 */
describe('silent sockets beyond the open-files limit (real server process)', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let http: string;
  let mqtt: URL;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = ServerProcess.spawn(
      // A long CONNECT deadline: what lets the device in is the cap's eviction, not the timeout.
      { DATABASE_URL: database.url, FLEET_ADMIN_TOKEN: TOKEN, FLEET_DATA_DIR: '/tmp/edgefleet-test-data', MQTT_CONNECT_TIMEOUT_MS: '120000' },
      { openFiles: OPEN_FILES },
    );
    const ready = await server.ready();
    http = ready.http;
    mqtt = new URL(ready.mqtt!);
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(http + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('keeps REST working and admits honest devices while 1,500 silent sockets are opened', async () => {
    const registered = await api('/api/v1/devices/batch', {
      method: 'POST',
      body: JSON.stringify({ devices: Array.from({ length: 20 }, (_, i) => ({ id: `honest-${i}`, type: 'sensor' })) }),
    });
    expect(registered.status).toBe(201);
    const silent: Array<Socket | undefined> = [];
    for (let i = 0; i < SILENT; i += 100) {
      silent.push(...(await Promise.all(Array.from({ length: 100 }, () => openSilent(mqtt.hostname, Number(mqtt.port))))));
    }

    // The kernel completes handshakes ahead of accept: wait until the server has seen them all.
    const counts = async () => {
      const metrics = await (await fetch(`${http}/metrics`)).text();
      const read = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1]);
      return { open: read(/^edgefleet_mqtt_open_sockets (\d+)$/m), evicted: read(/edgefleet_mqtt_connections_closed_total\{reason="evicted"\} (\d+)/) };
    };
    const { open } = await waitFor(counts, ({ open, evicted }) => open + evicted >= SILENT, 15_000);
    expect(open).toBe(512 + 64);

    expect((await api('/api/v1/devices?limit=5')).status).toBe(200);
    expect((await fetch(`${http}/health`)).status).toBe(200);
    const devices = await Promise.all(
      registered.body.devices.map((d: { id: string; credentials: { password: string } }) => connectDevice(mqtt.href, { id: d.id, password: d.credentials.password })),
    );
    expect(devices.every((client) => client.connected)).toBe(true);
    await Promise.all(devices.map((client) => client.endAsync()));
    for (const socket of silent) socket?.destroy();
  });
});
