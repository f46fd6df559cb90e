import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type Mosquitto, startMosquitto } from '../support/mosquitto';
import { waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';
import { type TestDatabase, createTestDatabase } from '../support/test-database';
import { FleetDevice } from './support/fleet-device';
import { Operator } from './support/operator';

const DEVICES = 30;

/**
 * CONTRACT §4 scale-out: two server processes share one database and one external broker
 * (a real Mosquitto, `BROKER_URL`); device messages are split between them by the shared
 * subscription, and each job is dispatched once. Devices announce presence on
 * `devices/{id}/presence` with a Last Will (docs/protocol.md), since the servers do not see
 * their CONNECTs.
 */
describe('rollout on two server processes sharing a database and an external broker', () => {
  const dataDir = scratchDir('edgefleet-e2e-scale-');
  const token = `efk_e2e_${randomBytes(16).toString('hex')}`;
  let mosquitto: Mosquitto;
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  const devices: FleetDevice[] = [];
  let operators: Operator[];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, FLEET_DATA_DIR: dataDir, FLEET_ADMIN_TOKEN: token, BROKER_URL: mosquitto.url, ROLLOUT_TICK_MS: '100' };
    operators = [];
    // One after the other: the first start creates the signing key both then use.
    for (let i = 0; i < 2; i++) {
      const server = ServerProcess.spawn(env);
      servers.push(server);
      const ready = await server.ready();
      expect(ready.mqtt).toBe(mosquitto.url);
      operators.push(new Operator(ready.http, token));
    }
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.close().catch(() => undefined)));
    await Promise.all(servers.map((server) => server.stop('SIGTERM')));
    await mosquitto?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows devices online and offline from their presence reports and Last Will', async () => {
    const [first, second] = operators;
    const passwords = await first.registerDevices(['presence-0']);
    const device = await new FleetDevice('presence-0', passwords.get('presence-0')!, { presence: true, keepaliveSeconds: 1 }).connect(mosquitto.url);
    devices.push(device);
    await waitFor(() => second.onlineIds(), (online) => online.includes('presence-0'), 10_000);
    // A connection lost without DISCONNECT: the broker publishes the Will.
    device.dropConnection();
    await waitFor(() => first.onlineIds(), (online) => !online.includes('presence-0'), 10_000);
    const read = await first.request('GET', '/api/v1/devices/presence-0');
    expect(read.body).toMatchObject({ status: 'offline', lastSeenAt: expect.any(String) });
  });

  it('completes a rollout with every job dispatched exactly once across both servers', async () => {
    const [first, second] = operators;
    const ids = Array.from({ length: DEVICES }, (_, i) => `scale-${String(i).padStart(2, '0')}`);
    const passwords = await first.registerDevices(ids);
    // The last device is offline when its turn comes, and connects later.
    const late = ids[ids.length - 1];
    const fleet = await Promise.all(ids.slice(0, -1).map((id) => new FleetDevice(id, passwords.get(id)!, { presence: true, stepMs: 20 }).connect(mosquitto.url)));
    devices.push(...fleet);
    await waitFor(() => second.onlineIds(), (online) => fleet.every((d) => online.includes(d.id)), 10_000);
    const dispatchedBefore = (await Promise.all(operators.map((o) => o.metric('edgefleet_rollout_jobs_dispatched_total')))).reduce((a, b) => a + b, 0);

    const artifact = await first.uploadFirmware('4.0.0');
    const rollout = await first.createRollout({
      name: 'two servers',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [20, 50, 100], maxInFlight: 10, deviceTimeoutSeconds: 120, retries: 0 },
    });
    // Its wave cannot settle without it (offline is not failure): it waits until the device connects.
    await second.waitForRollout(rollout.id, (r) => r.counts.pending_offline === 1, 30_000);
    const lateDevice = await new FleetDevice(late, passwords.get(late)!, { presence: true }).connect(mosquitto.url);
    devices.push(lateDevice);
    const done = await second.waitForRollout(rollout.id, (r) => r.state !== 'running', 60_000);
    expect(done).toMatchObject({ state: 'completed', targetCount: DEVICES });
    expect(done.counts.succeeded).toBe(DEVICES);

    const jobs = await first.rolloutDevices(rollout.id);
    expect(jobs.map((job) => [job.deviceId, job.status, job.attempts])).toEqual(ids.map((id) => [id, 'succeeded', 1]));
    for (const device of [...fleet, lateDevice]) {
      expect({ id: device.id, documents: device.documents.length, firmware: device.firmware }).toEqual({ id: device.id, documents: 1, firmware: '4.0.0' });
      expect(device.errors).toEqual([]);
    }
    const dispatched = await Promise.all(operators.map((o) => o.metric('edgefleet_rollout_jobs_dispatched_total')));
    expect(dispatched.reduce((a, b) => a + b, 0) - dispatchedBefore).toBe(DEVICES);
    // Both servers handled device reports (the shared subscription splits them).
    const reports = await Promise.all(operators.map((o) => o.metric('edgefleet_rollout_status_reports_total')));
    expect(Math.min(...reports)).toBeGreaterThan(0);
  }, 120_000);
});
