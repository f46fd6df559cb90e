import { JobStatusService } from '../src/job-status.service';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, rolloutJobs, uploadFirmware, waitForFirmware } from './support/rollout-fleet';

/** Issue #15 item 4: a NUL in one job status affects only that device. */
describe('job status isolation (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let devices: JobDevice[];
  let jobs: Map<string, { jobId: string; status: string }>;
  let rolloutId: string;
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-job-isolation-') }, { broker: true });
    const artifact = await uploadFirmware(t, '2.0.0');
    devices = await connectFleet(t, ids('js', 6), { behaviour: 'silent' });
    await waitForFirmware(t, devices);
    const rollout = await createRollout(t, firmwareRollout('isolation', artifact.id, devices.map((d) => d.id), { waves: [100] }));
    jobs = await waitFor(() => rolloutJobs(t, rollout.id), (all) => [...all.values()].filter((j) => j.status === 'notified').length === 6);
    rolloutId = rollout.id;
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('refuses a status whose reason holds a NUL on the errors topic; the devices reporting with it are applied and stay connected', async () => {
    const [bad, ...good] = devices;
    await Promise.all([
      bad.report(jobs.get(bad.id)!.jobId, 'failed', { reason: 'a\u0000b' }),
      ...good.slice(0, 3).map((device) => device.report(jobs.get(device.id)!.jobId, 'accepted')),
    ]);
    await waitFor(() => bad.errors, (errors) => errors.length === 1);
    expect(bad.errors[0].message).toBe('payload refused: reason: contains U+0000 (NUL)');
    const after = await waitFor(() => rolloutJobs(t, rolloutId), (all) => good.slice(0, 3).every((d) => all.get(d.id)?.status !== 'notified'));
    expect(after.get(bad.id)!.status).toBe('notified');
    expect(devices.every((device) => device.connected)).toBe(true);
  });

  it('behind the boundary, a status batch Postgres refuses for one report is split: that report is refused alone, the others applied', async () => {
    const service = t.app.get(JobStatusService);
    const [bad, , , , fourth, fifth] = devices;
    const results = await Promise.allSettled([
      service.report(bad.id, jobs.get(bad.id)!.jobId, { status: 'failed', reason: 'x\u0000y' }),
      service.report(fourth.id, jobs.get(fourth.id)!.jobId, { status: 'accepted' }),
      service.report(fifth.id, jobs.get(fifth.id)!.jobId, { status: 'accepted' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(((results[0] as PromiseRejectedResult).reason as Error).message).toContain('could not be stored');
    const after = await rolloutJobs(t, rolloutId);
    expect(after.get(bad.id)!.status).toBe('notified');
    expect(after.get(fourth.id)!.status).not.toBe('notified');
    expect(after.get(fifth.id)!.status).not.toBe('notified');
  });
});
