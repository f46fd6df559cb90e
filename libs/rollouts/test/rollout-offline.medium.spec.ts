import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { waitFor } from '../../../test/support/mqtt-device';
import { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, createRollout, firmwareRollout, peakInFlight, registerDevices, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('offline devices (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  const connect = async (device: JobDevice) => {
    devices.push(await device.connect(t.broker.mqtt));
    return device;
  };
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-offline-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('shows an offline device as pending_offline (not failed) and sends its job when it connects', async () => {
    const passwords = await registerDevices(t, [{ id: 'of-online' }, { id: 'of-away' }]);
    const online = await connect(new JobDevice('of-online', passwords.get('of-online')!));
    await waitForFirmware(t, [online]);
    const rollout = await createRollout(t, firmwareRollout('offline', artifact.id, ['of-online', 'of-away'], { deviceTimeoutSeconds: 5 }));

    const waiting = await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 1 && r.counts.pending_offline === 1);
    expect(waiting).toMatchObject({ state: 'running', counts: { failed: 0, timed_out: 0 } });
    expect((await rolloutJobs(t, rollout.id, '&status=pending_offline')).get('of-away')).toMatchObject({ attempts: 0, lastError: null });

    const away = await connect(new JobDevice('of-away', passwords.get('of-away')!));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done).toMatchObject({ reason: null, counts: { succeeded: 2, pending_offline: 0 } });
    expect(away.documents).toHaveLength(1);
    expect((await rolloutJobs(t, rollout.id)).get('of-away')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('sends the current job again to a device that reconnects mid-job, without counting a new attempt', async () => {
    const passwords = await registerDevices(t, [{ id: 'of-flaky' }]);
    const first = await connect(new JobDevice('of-flaky', passwords.get('of-flaky')!, { behaviour: 'silent' }));
    await waitForFirmware(t, [first]);
    const rollout = await createRollout(t, firmwareRollout('reconnect', artifact.id, ['of-flaky'], { deviceTimeoutSeconds: 30 }));
    await waitFor(() => first.documents, (docs) => docs.length === 1);
    const jobId = first.jobIds()[0];
    await first.report(jobId, 'accepted');
    await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get('of-flaky')?.status === 'accepted');
    await first.disconnect();

    const second = await connect(new JobDevice('of-flaky', passwords.get('of-flaky')!));
    await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(second.jobIds()).toEqual([jobId]);
    expect(second.notifies.some((n) => n.jobs.some((j) => j.jobId === jobId))).toBe(true);
    expect((await rolloutJobs(t, rollout.id)).get('of-flaky')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('times out a device that stays offline past offlineTimeoutSeconds', async () => {
    await registerDevices(t, [{ id: 'of-gone' }]);
    const rollout = await createRollout(t, firmwareRollout('gone', artifact.id, ['of-gone'], { offlineTimeoutSeconds: 1 }));
    await waitForRollout(t, rollout.id, (r) => r.counts.pending_offline === 1);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts).toMatchObject({ timed_out: 1, pending_offline: 0 });
    expect((await rolloutJobs(t, rollout.id)).get('of-gone')).toMatchObject({ status: 'timed_out', attempts: 0, lastError: 'device stayed offline past offlineTimeoutSeconds' });
  });

  it('keeps maxInFlight when several waiting devices connect at once', async () => {
    const fleet = [{ id: 'of-burst-0' }, { id: 'of-burst-1' }, { id: 'of-burst-2' }, { id: 'of-burst-3' }];
    const passwords = await registerDevices(t, fleet);
    const rollout = await createRollout(t, firmwareRollout('burst', artifact.id, fleet.map((d) => d.id), { maxInFlight: 1 }));
    await waitForRollout(t, rollout.id, (r) => r.counts.pending_offline === 4);
    const burst = await Promise.all(fleet.map((d) => connect(new JobDevice(d.id, passwords.get(d.id)!, { stepMs: 30 }))));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(4);
    expect(peakInFlight(burst)).toBe(1);
  });

  it('shows a device that connected while every slot was taken as queued (waiting for a slot), not pending_offline', async () => {
    const passwords = await registerDevices(t, [{ id: 'of-slot-busy' }, { id: 'of-slot-late' }]);
    const busy = await connect(new JobDevice('of-slot-busy', passwords.get('of-slot-busy')!, { behaviour: 'silent' }));
    await waitForFirmware(t, [busy]);
    const rollout = await createRollout(t, firmwareRollout('slot', artifact.id, ['of-slot-busy', 'of-slot-late'], { maxInFlight: 1, deviceTimeoutSeconds: 30 }));
    await waitForRollout(t, rollout.id, (r) => r.counts.notified === 1 && r.counts.pending_offline === 1);

    const late = await connect(new JobDevice('of-slot-late', passwords.get('of-slot-late')!));
    const waiting = await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get('of-slot-late')?.status !== 'pending_offline', 5_000);
    expect(waiting.get('of-slot-late')).toMatchObject({ status: 'queued', attempts: 0 });
    expect(late.documents).toEqual([]);

    const jobId = busy.jobIds()[0];
    await busy.report(jobId, 'accepted');
    await busy.reportFirmware('2.0.0');
    await busy.report(jobId, 'succeeded');
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(2);
    expect(late.documents).toHaveLength(1);
  });

  it('cancels the jobs of devices decommissioned mid-rollout, so the rollout still completes', async () => {
    const passwords = await registerDevices(t, [{ id: 'dc-live' }, { id: 'dc-busy' }, { id: 'dc-away' }]);
    const live = await connect(new JobDevice('dc-live', passwords.get('dc-live')!));
    const busy = await connect(new JobDevice('dc-busy', passwords.get('dc-busy')!, { behaviour: 'silent' }));
    await waitForFirmware(t, [live, busy]);
    const rollout = await createRollout(t, firmwareRollout('decommission', artifact.id, ['dc-live', 'dc-busy', 'dc-away'], {}));
    await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 1 && r.counts.notified === 1 && r.counts.pending_offline === 1);

    for (const id of ['dc-busy', 'dc-away']) expect((await t.request('DELETE', `/api/v1/devices/${id}`)).status).toBe(204);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed', 5_000);
    expect(done).toMatchObject({ reason: '1 of 3 devices succeeded', counts: { succeeded: 1, cancelled: 2, timed_out: 0 } });
    const jobs = await rolloutJobs(t, rollout.id);
    for (const id of ['dc-busy', 'dc-away']) expect(jobs.get(id)).toMatchObject({ status: 'cancelled', lastError: 'device decommissioned' });
  });
});
