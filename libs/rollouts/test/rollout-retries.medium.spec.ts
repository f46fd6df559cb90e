import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { waitFor } from '../../../test/support/mqtt-device';
import type { Behaviour, JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('device timeouts and retries (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-retries-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  const runOne = async (id: string, behaviour: Behaviour, strategy: object) => {
    const [device] = await connectFleet(t, [{ id }], { behaviour });
    devices.push(device);
    await waitForFirmware(t, [device]);
    const rollout = await createRollout(t, firmwareRollout(id, artifact.id, [id], strategy));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    return { device, done, job: (await rolloutJobs(t, rollout.id)).get(id) };
  };

  it('retries a silent device after deviceTimeoutSeconds, then times it out when retries run out', async () => {
    const [device] = await connectFleet(t, [{ id: 'rt-silent' }], { behaviour: 'silent' });
    devices.push(device);
    await waitForFirmware(t, [device]);
    const rollout = await createRollout(t, firmwareRollout('silent', artifact.id, ['rt-silent'], { deviceTimeoutSeconds: 1, retries: 1 }));
    const first = (await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get('rt-silent')?.attempts === 1)).get('rt-silent');
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    const job = (await rolloutJobs(t, rollout.id)).get('rt-silent');
    expect(job).toMatchObject({ status: 'timed_out', attempts: 2, lastError: 'no final status within deviceTimeoutSeconds' });
    expect(done).toMatchObject({ counts: { timed_out: 1, succeeded: 0 }, reason: '0 of 1 devices succeeded' });
    // Same job sent twice, the second time only once the first attempt's deadline passed.
    expect(device.documents.map((d) => d.jobId)).toEqual([job.jobId, job.jobId]);
    expect(device.documents[1].at).toBeGreaterThanOrEqual(Date.parse(first.dispatchedAt) + 1_000);
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.dispatchedAt) + 1_000);
    // Between attempts and at the end its document is withdrawn.
    await waitFor(() => device.cleared, (cleared) => cleared.length === 2);
  });

  it('sends a failed job again, and a retry that succeeds counts as succeeded', async () => {
    const { device, done, job } = await runOne('rt-flaky', (attempt) => (attempt === 1 ? 'fail' : 'succeed'), { retries: 2 });
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(done).toMatchObject({ reason: null, counts: { succeeded: 1, failed: 0 } });
    expect(device.documents).toHaveLength(2);
    const failures = device.sent.filter((s) => s.status === 'failed');
    expect(failures).toHaveLength(1);
    // Sent again only after the retry backoff (ROLLOUT_RETRY_BACKOFF_MS).
    expect(device.documents[1].at - failures[0].at).toBeGreaterThanOrEqual(Number(FAST_ROLLOUTS.ROLLOUT_RETRY_BACKOFF_MS));
  });

  it('marks a job failed once it has failed 1 + retries times', async () => {
    const { device, job } = await runOne('rt-broken', 'fail', { retries: 2 });
    expect(job).toMatchObject({ status: 'failed', attempts: 3, lastError: 'scripted failure' });
    expect(device.documents).toHaveLength(3);
  });

  it('does not retry a rejected job', async () => {
    const { device, job } = await runOne('rt-reject', 'reject', { retries: 2 });
    expect(job).toMatchObject({ status: 'rejected', attempts: 1, lastError: 'not now' });
    expect(device.documents).toHaveLength(1);
  });
});
