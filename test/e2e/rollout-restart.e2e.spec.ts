import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '../support/mqtt-device';
import { Harness } from './support/restart-harness';
import { Operator } from './support/operator';

const DEVICES = 16;

/**
 * CONTRACT §4 durability: "A rollout survives a restart of the server: nothing is lost,
 * nothing is sent twice to a device that already reported success." The real server
 * process is killed with SIGKILL mid-rollout and started again on the same database and
 * data directory; the devices reconnect by themselves, as they would in the field.
 */
describe('rollout across kill -9 of the server', () => {
  const token = `efk_e2e_${randomBytes(16).toString('hex')}`;
  let harness: Harness;
  beforeEach(async () => (harness = await Harness.create(token)));
  afterEach(() => harness.close());

  it('completes after the restart, every device succeeding once and never sent its job again after reporting success', async () => {
    const first = await harness.start();
    const operator = new Operator(first.http, token);
    const ids = Array.from({ length: DEVICES }, (_, i) => `restart-${String(i).padStart(2, '0')}`);
    // Different speeds, so that some device is always mid-job; a device cut off mid-job starts
    // over only from the document the restarted server sends it.
    const devices = await harness.connectDevices(operator, ids, first.mqtt, (i) => ({ stepMs: 100 + 20 * (i % 5), abandonOnDisconnect: true }));
    const artifact = await operator.uploadFirmware('2.0.0');
    const rollout = await operator.createRollout({
      name: 'restart mid-rollout',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [25, 50, 100], maxInFlight: 3, deviceTimeoutSeconds: 120, retries: 0 },
    });

    // The kill comes while some device has just begun a job: it has several steps (≥ 300 ms) to go.
    await operator.waitForRollout(rollout.id, (r) => r.counts.succeeded >= 5 && devices.some((device) => device.startedWithin(60)), 30_000);
    await harness.kill();

    // What the database held at the moment of the kill: nothing runs against it until the restart.
    const atKill = await jobsInDatabase(harness.database.url, rollout.id);
    // Success the server had recorded (the device's report applied, version confirmed or not).
    const succeededAtKill = atKill.filter((job) => job.status === 'succeeded' || job.device_succeeded).map((job) => job.device_id);
    const inFlightAtKill = atKill.filter((job) => !['queued', 'pending_offline', 'succeeded'].includes(job.status));
    const neverSentAtKill = atKill.filter((job) => job.attempts === 0).map((job) => job.device_id);
    expect(succeededAtKill.length).toBeGreaterThanOrEqual(5);
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(neverSentAtKill.length).toBeGreaterThan(0);
    const documentsAtKill = new Map(devices.map((device) => [device.id, device.documents.length]));

    expect(await harness.start()).toEqual(first);
    const done = await operator.waitForRollout(rollout.id, (r) => r.state !== 'running', 60_000);
    expect(done).toMatchObject({ state: 'completed', targetCount: DEVICES });
    expect(done.counts.succeeded).toBe(DEVICES);

    const jobs = await operator.rolloutDevices(rollout.id);
    expect(jobs.map((job) => [job.deviceId, job.status, job.attempts])).toEqual(ids.map((id) => [id, 'succeeded', 1]));
    for (const device of devices) {
      // One job per device, installed: the devices really reconnected to the new process.
      expect({ id: device.id, jobs: device.jobIds().length, firmware: device.firmware }).toEqual({ id: device.id, jobs: 1, firmware: '2.0.0' });
      expect(device.connections).toBeGreaterThanOrEqual(2);
      expect(device.errors).toEqual([]);
    }
    // PUBACK of a report comes only once the server has written it, so no device whose success
    // was acknowledged, before the kill or after, is ever sent its job again.
    for (const device of devices) {
      expect({ id: device.id, afterSuccess: device.documentsAfterSuccess() }).toEqual({ id: device.id, afterSuccess: [] });
    }
    for (const id of succeededAtKill) {
      const device = devices.find((d) => d.id === id)!;
      expect({ id, documents: device.documents.length }).toEqual({ id, documents: documentsAtKill.get(id) });
    }
    // A job not sent before the kill went out only from the restarted server. (QoS 1 is at least
    // once: a document published while the device subscribes may come both live and retained.)
    for (const id of neverSentAtKill) {
      const device = devices.find((d) => d.id === id)!;
      expect({ id, onFirstConnection: device.documents.filter((d) => d.connection === 1) }).toEqual({ id, onFirstConnection: [] });
    }
    // Jobs in flight at the kill were sent again after the restart (the broker's retained copies
    // died with it), unless the device had sent its success on its first connection: that
    // report, not yet acknowledged, is sent again by the device's MQTT client instead.
    const stillWorking = inFlightAtKill.filter((job) => !job.device_succeeded && devices.find((d) => d.id === job.device_id)!.successSent.get(job.id)?.connection !== 1);
    expect(stillWorking.length).toBeGreaterThan(0);
    for (const job of stillWorking) {
      const device = devices.find((d) => d.id === job.device_id)!;
      expect({ id: job.device_id, resent: device.documents.some((d) => d.connection >= 2) }).toEqual({ id: job.device_id, resent: true });
    }
  });

  it('does not send the job again to a device that reported success and shows its new version only after reconnecting', async () => {
    const first = await harness.start();
    const operator = new Operator(first.http, token);
    const ids = ['reboot-0', 'reboot-1', 'reboot-2'];
    const devices = await harness.connectDevices(operator, ids, first.mqtt, { versionAfterReboot: true });
    const artifact = await operator.uploadFirmware('3.0.0');
    const rollout = await operator.createRollout({
      name: 'reboot into new image',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [100], deviceTimeoutSeconds: 120, retries: 0 },
    });
    // Each device has said `succeeded`; the server waits for the version before counting it.
    await waitFor(() => Promise.all(devices.map((d) => d.successAcked.size)), (acked) => acked.every((n) => n === 1), 15_000);
    await waitFor(() => jobsInDatabase(harness.database.url, rollout.id), (jobs) => jobs.every((job) => job.device_succeeded && job.status === 'rebooting'));

    await harness.kill();
    expect(await harness.start()).toEqual(first);
    const done = await operator.waitForRollout(rollout.id, (r) => r.state !== 'running', 30_000);
    expect(done).toMatchObject({ state: 'completed' });
    expect(done.counts.succeeded).toBe(ids.length);
    for (const device of devices) {
      expect({ id: device.id, documents: device.documents.length, afterSuccess: device.documentsAfterSuccess() }).toEqual({ id: device.id, documents: 1, afterSuccess: [] });
    }
  });

  it('does not send the job again to a device that reboots into the new image after reporting success (no server restart)', async () => {
    const { http, mqtt } = await harness.start();
    const operator = new Operator(http, token);
    const ids = ['reboot-3', 'reboot-4'];
    const devices = await harness.connectDevices(operator, ids, mqtt, { versionAfterReboot: true });
    const artifact = await operator.uploadFirmware('3.1.0');
    const rollout = await operator.createRollout({
      name: 'reboot, same server',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [100], deviceTimeoutSeconds: 120, retries: 0 },
    });
    await waitFor(() => jobsInDatabase(harness.database.url, rollout.id), (jobs) => jobs.every((job) => job.device_succeeded && job.status === 'rebooting'), 15_000);
    await Promise.all(devices.map((device) => device.reboot(mqtt)));
    const done = await operator.waitForRollout(rollout.id, (r) => r.state !== 'running', 30_000);
    expect(done).toMatchObject({ state: 'completed' });
    expect(done.counts.succeeded).toBe(ids.length);
    for (const device of devices) {
      expect({ id: device.id, documents: device.documents.length, afterSuccess: device.documentsAfterSuccess() }).toEqual({ id: device.id, documents: 1, afterSuccess: [] });
    }
  });
});

async function jobsInDatabase(url: string, rolloutId: string): Promise<Array<{ id: string; device_id: string; status: string; attempts: number; device_succeeded: boolean }>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query('SELECT id, device_id, status, attempts, device_succeeded FROM rollout_jobs WHERE rollout_id = $1 ORDER BY device_id', [rolloutId]);
    return result.rows;
  } finally {
    await client.end();
  }
}
