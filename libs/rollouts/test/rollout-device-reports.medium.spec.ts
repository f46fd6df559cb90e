import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('device job status reports (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  const silent = async (...deviceIds: string[]) => {
    const connected = await connectFleet(t, deviceIds.map((id) => ({ id })), { behaviour: 'silent' });
    devices.push(...connected);
    await waitForFirmware(t, connected);
    return connected;
  };
  const jobOf = async (rolloutId: string, deviceId: string) => (await rolloutJobs(t, rolloutId)).get(deviceId);
  beforeAll(async () => {
    // A one-second retry backoff, so a repeated report cannot race the retry it caused.
    const backoff = { ROLLOUT_RETRY_BACKOFF_MS: '1000', ROLLOUT_RETRY_BACKOFF_MAX_MS: '1000' };
    t = await TestApp.start({ ...FAST_ROLLOUTS, ...backoff, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-reports-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('answers a status for a job the device does not have on devices/{id}/errors, and changes nothing', async () => {
    const [mine, other, later] = await silent('dr-mine', 'dr-other', 'dr-later');
    // One device is in the second wave and waits (queued) while the first wave's two stay silent.
    const rollout = await createRollout(t, firmwareRollout('not yours', artifact.id, [mine.id, other.id, later.id], { waves: [50, 100] }));
    const jobs = await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => [...jobs.values()].filter((j) => j.status === 'notified').length === 2);
    const queued = [...jobs.values()].find((j) => j.status === 'queued');
    const [sender, owner] = [mine, other, later].filter((d) => d.id !== queued.deviceId);
    const ownersJob = jobs.get(owner.id).jobId;

    const unknown = '0190a2f0-0000-7000-8000-000000000001';
    await sender.report(unknown, 'accepted');
    await sender.report('not-a-job', 'succeeded');
    await sender.report(ownersJob, 'succeeded');
    const device = devices.find((d) => d.id === queued.deviceId)!;
    await device.report(queued.jobId, 'accepted');
    await waitFor(() => sender.errors, (errors) => errors.length === 3);
    await waitFor(() => device.errors, (errors) => errors.length === 1);
    // Answers may come in any order: ids that are not UUIDs are refused before the batched lookup.
    expect([...sender.errors].sort((a, b) => a.topic.localeCompare(b.topic))).toEqual(
      [
        { topic: `devices/${sender.id}/jobs/${unknown}/status`, message: `job '${unknown}' not found` },
        { topic: `devices/${sender.id}/jobs/not-a-job/status`, message: "job 'not-a-job' not found" },
        { topic: `devices/${sender.id}/jobs/${ownersJob}/status`, message: `job '${ownersJob}' not found` },
      ].sort((a, b) => a.topic.localeCompare(b.topic)),
    );
    expect(device.errors).toEqual([{ topic: `devices/${device.id}/jobs/${queued.jobId}/status`, message: expect.stringContaining('has not been sent to this device') }]);

    const after = await rolloutJobs(t, rollout.id);
    expect(after.get(owner.id).status).toBe('notified');
    expect(after.get(queued.deviceId)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(owner.errors).toEqual([]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('refuses a malformed status on the errors topic', async () => {
    const [cam] = await silent('dr-bad');
    const rollout = await createRollout(t, firmwareRollout('malformed', artifact.id, [cam.id], {}));
    await waitFor(() => cam.documents, (docs) => docs.length === 1);
    const jobId = cam.jobIds()[0];
    await cam.report(jobId, 'exploded' as 'failed');
    await waitFor(() => cam.errors, (errors) => errors.length === 1);
    expect(cam.errors[0]).toEqual({ topic: `devices/dr-bad/jobs/${jobId}/status`, message: expect.stringContaining('status must be one of') });
    expect((await jobOf(rollout.id, cam.id)).status).toBe('notified');
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('ignores duplicates and out-of-order reports: a job never moves backwards, and a final job stays final', async () => {
    const [cam] = await silent('dr-order');
    const rollout = await createRollout(t, firmwareRollout('order', artifact.id, [cam.id], { deviceTimeoutSeconds: 30, retries: 1 }));
    await waitFor(() => cam.documents, (docs) => docs.length === 1);
    const jobId = cam.jobIds()[0];
    const job = () => jobOf(rollout.id, cam.id);

    await cam.report(jobId, 'accepted');
    await cam.report(jobId, 'downloading', { progress: 10 });
    await cam.report(jobId, 'accepted');
    await cam.report(jobId, 'downloading');
    await cam.report(jobId, 'downloading', { progress: 60 });
    await waitFor(job, (j) => j.progress === 60);
    expect(await job()).toMatchObject({ status: 'downloading', progress: 60 });

    await cam.report(jobId, 'installing');
    await cam.report(jobId, 'rebooting');
    await cam.report(jobId, 'downloading', { progress: 70 });
    await cam.report(jobId, 'installing');
    await cam.reportFirmware('2.0.0');
    await cam.report(jobId, 'succeeded', { progress: 100 });
    await cam.report(jobId, 'succeeded', { progress: 100 });
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts).toMatchObject({ succeeded: 1, failed: 0 });

    // After success: a late failure or progress of the same job changes nothing and triggers no retry.
    await cam.report(jobId, 'failed', { reason: 'late' });
    await cam.report(jobId, 'installing');
    await sleep(300);
    expect(await job()).toMatchObject({ status: 'succeeded', attempts: 1, progress: 100, lastError: null });
    expect(cam.documents).toHaveLength(1);
    expect(cam.errors).toEqual([]);
    expect((await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body.counts).toMatchObject({ succeeded: 1, queued: 0, failed: 0 });
  });

  it('a repeated failure of the same attempt does not use up a second retry', async () => {
    const [cam] = await silent('dr-dup-fail');
    const rollout = await createRollout(t, firmwareRollout('dup fail', artifact.id, [cam.id], { deviceTimeoutSeconds: 30, retries: 1 }));
    await waitFor(() => cam.documents, (docs) => docs.length === 1);
    const jobId = cam.jobIds()[0];
    await cam.report(jobId, 'accepted');
    await cam.report(jobId, 'failed', { reason: 'first' });
    await cam.report(jobId, 'failed', { reason: 'first' });
    await waitFor(() => cam.documents, (docs) => docs.length === 2);
    expect(await jobOf(rollout.id, cam.id)).toMatchObject({ status: 'notified', attempts: 2 });
    await cam.report(jobId, 'accepted');
    await cam.reportFirmware('2.0.0');
    await cam.report(jobId, 'succeeded');
    await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(await jobOf(rollout.id, cam.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});
