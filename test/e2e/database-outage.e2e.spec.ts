import { rmSync } from 'node:fs';
import { ReportingDevice } from './support/reporting-device';
import { waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';
import { StandalonePostgres } from '../support/standalone-postgres';

const TOKEN = 'efk_database-outage-test-admin-token';
const DEVICES = 20;

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Issue #15 item 2: the postmaster is SIGKILLed while devices publish QoS 1 reports. While it
 * is down nothing is acknowledged and /health says so; after it is back, every report that was
 * acknowledged is in the twin.
 */
describe('database outage under QoS 1 load (real server process, a Postgres the test kills)', () => {
  let postgres: StandalonePostgres;
  let server: ServerProcess;
  const dataDir = scratchDir('edgefleet-outage-');
  afterAll(async () => {
    await server?.stop();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledges nothing while the database is down, says so on /health, and loses no acknowledged report', async () => {
    postgres = await StandalonePostgres.create();
    const databaseUrl = await postgres.createDatabase('edgefleet');
    server = ServerProcess.spawn({ DATABASE_URL: databaseUrl, FLEET_ADMIN_TOKEN: TOKEN, FLEET_DATA_DIR: dataDir, TWIN_FLUSH_INTERVAL_MS: '50' });
    const { http, mqtt } = (await server.ready()) as { http: string; mqtt: string };
    const devices = Array.from({ length: DEVICES }, (_, i) => ({ id: `outage-${i}`, type: 'sensor' }));
    const registered = await api(http, 'POST', '/api/v1/devices/batch', { devices });
    expect(registered.status).toBe(201);
    const fleet: ReportingDevice[] = await Promise.all(
      registered.body.devices.map((d: { id: string; credentials: { password: string } }) => ReportingDevice.connect(mqtt, d.id, d.credentials.password)),
    );
    fleet.forEach((device) => device.start());
    await waitFor(() => fleet.every((device) => device.acked >= 20), Boolean, 15_000);

    await postgres.kill();
    const killedAt = Date.now();
    const health = await waitFor(() => api(http, 'GET', '/health'), (r) => r.status === 503, 10_000);
    expect(health.body.status).toBe('degraded');
    expect(health.body.db.status).toBe('down');
    // Devices keep publishing for a while against the dead database.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const ackedWhileDown = fleet.flatMap((device) => device.ackTimes.filter((ack) => ack.sentAt > killedAt + 100));
    expect(ackedWhileDown).toEqual([]);

    await postgres.start();
    const restartedAt = Date.now();
    await waitFor(() => fleet.every((device) => device.ackTimes.some((ack) => ack.sentAt > restartedAt)), Boolean, 30_000);
    await Promise.all(fleet.map((device) => device.stop()));
    await waitFor(() => api(http, 'GET', '/health'), (r) => r.status === 200, 15_000);

    for (const device of fleet) {
      const twin = await api(http, 'GET', `/api/v1/devices/${device.id}/twin`);
      expect({ id: device.id, storedAtLeast: twin.body.reported.seq >= device.acked }).toEqual({ id: device.id, storedAtLeast: true });
    }
    expect(server.child.exitCode).toBeNull();
  }, 120_000);
});
