import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, createRollout, ids, registerDevices, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('failure threshold (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-threshold-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('aborts in the wave that crossed it: in-flight devices finish, later waves never get a job, the reason is recorded', async () => {
    const fleet = ids('th', 10);
    const passwords = await registerDevices(t, fleet);
    const artifact = await uploadFirmware(t, '2.0.0');
    const body = {
      name: 'threshold',
      type: 'firmware',
      artifactId: artifact.id,
      target: { selector: { type: 'cam' } },
      strategy: { waves: [20, 50, 100], maxInFlight: 10, failureThreshold: { percent: 30, minSamples: 3 } },
    };
    const waves: string[][] = (await t.request('POST', '/api/v1/rollouts/preview', body)).body.waves.map((w: { deviceIds: string[] }) => w.deviceIds);
    expect(waves.map((w) => w.length)).toEqual([2, 3, 5]);
    // Wave 0 succeeds. In wave 1 one device fails at once while the other two are still installing:
    // 1 failed of 3 finished (33%) crosses 30%.
    const [failing, ...slow] = waves[1];
    for (const d of fleet) {
      const options = d.id === failing ? { behaviour: 'fail' as const } : slow.includes(d.id) ? { stepMs: 400 } : {};
      devices.push(await new JobDevice(d.id, passwords.get(d.id)!, options).connect(t.broker.mqtt));
    }
    await waitForFirmware(t, devices);
    const device = (id: string) => devices.find((d) => d.id === id)!;

    const created = await createRollout(t, body);
    const aborted = await waitForRollout(t, created.id, (r) => r.state === 'aborted');
    expect(aborted.reason).toMatch(/^failure threshold crossed: 1 of 3 finished devices failed \(33\.3% > 30%\)/);
    expect(aborted.currentWave).toBe(1);
    // Aborting does not cut off the devices still installing.
    expect(aborted.waves[1].counts).toMatchObject({ failed: 1, cancelled: 0 });

    const finished = await waitFor(() => rolloutJobs(t, created.id), (jobs) => slow.every((id) => jobs.get(id)?.status === 'succeeded'), 10_000);
    expect(finished.get(failing)).toMatchObject({ status: 'failed', lastError: 'scripted failure' });
    for (const id of waves[2]) {
      expect(finished.get(id)).toMatchObject({ status: 'cancelled', attempts: 0, dispatchedAt: null });
      expect(finished.get(id).lastError).toMatch(/^rollout aborted: failure threshold crossed/);
      expect(device(id).documents).toEqual([]);
    }
    const final = (await t.request('GET', `/api/v1/rollouts/${created.id}`)).body;
    expect(final).toMatchObject({ state: 'aborted', counts: { succeeded: 4, failed: 1, cancelled: 5 } });
    expect(final.waves.map((w: { counts: { cancelled: number } }) => w.counts.cancelled)).toEqual([0, 0, 5]);
    // The automatic abort is in the audit log, by the system actor, with its reason.
    const audit = (await t.request('GET', `/api/v1/audit?resourceType=rollout&resourceId=${created.id}`)).body.items;
    expect(audit.map((e: { action: string; actorName: string }) => [e.action, e.actorName])).toEqual([
      ['rollout.abort', 'system'],
      ['rollout.create', 'test admin'],
    ]);
    expect(audit[0].after).toEqual({ state: 'aborted', reason: aborted.reason });
    expect((await t.request('GET', `/api/v1/rollouts?state=aborted`)).body.items.map((r: { id: string }) => r.id)).toEqual([created.id]);
  });

  it('does not judge before minSamples devices have finished', async () => {
    const fleet = ids('ms', 4);
    const passwords = await registerDevices(t, fleet);
    const artifact = await uploadFirmware(t, '2.1.0');
    // One device at a time, the first one fails: 1 of 1 is 100%, but minSamples is 4.
    const fleetDevices = await Promise.all(
      fleet.map((d, i) => new JobDevice(d.id, passwords.get(d.id)!, { behaviour: i === 0 ? 'fail' : 'succeed' }).connect(t.broker.mqtt)),
    );
    devices.push(...fleetDevices);
    await waitForFirmware(t, fleetDevices);
    const created = await createRollout(t, {
      name: 'min samples',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: fleet.map((d) => d.id) },
      strategy: { maxInFlight: 1, failureThreshold: { percent: 50, minSamples: 4 } },
    });
    const done = await waitForRollout(t, created.id, (r) => r.state !== 'running');
    expect(done).toMatchObject({ state: 'completed', counts: { succeeded: 3, failed: 1 }, reason: '3 of 4 devices succeeded' });
  });

  it('after an abort, in-flight devices that fail or time out finish for good: no retry is queued that would never be sent', async () => {
    const fleet = [{ id: 'ar-fast' }, { id: 'ar-slow' }, { id: 'ar-quiet' }];
    const passwords = await registerDevices(t, fleet);
    const [fast, slow, quiet] = await Promise.all([
      new JobDevice('ar-fast', passwords.get('ar-fast')!, { behaviour: 'fail' }).connect(t.broker.mqtt),
      new JobDevice('ar-slow', passwords.get('ar-slow')!, { behaviour: 'fail', stepMs: 2_500 }).connect(t.broker.mqtt),
      new JobDevice('ar-quiet', passwords.get('ar-quiet')!, { behaviour: 'silent' }).connect(t.broker.mqtt),
    ]);
    devices.push(fast, slow, quiet);
    await waitForFirmware(t, [fast, slow, quiet]);
    const artifact = await uploadFirmware(t, '2.2.0');
    const created = await createRollout(t, {
      name: 'abort with retries',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: fleet.map((d) => d.id) },
      strategy: { retries: 1, deviceTimeoutSeconds: 3, failureThreshold: { percent: 10, minSamples: 1 } },
    });
    // ar-fast fails twice (its one retry used up) while the others are still working: abort.
    const aborted = await waitForRollout(t, created.id, (r) => r.state === 'aborted');
    expect(aborted.counts).toMatchObject({ failed: 1 });
    expect(aborted.counts.notified + aborted.counts.accepted).toBe(2);

    const jobs = await waitFor(() => rolloutJobs(t, created.id), (jobs) => [...jobs.values()].every((j) => !['notified', 'accepted'].includes(j.status)), 10_000);
    await sleep(300);
    const final = (await t.request('GET', `/api/v1/rollouts/${created.id}`)).body;
    expect(final).toMatchObject({ state: 'aborted', counts: { failed: 2, timed_out: 1, queued: 0, pending_offline: 0, notified: 0 } });
    expect(jobs.get('ar-slow')).toMatchObject({ status: 'failed', attempts: 1, lastError: 'scripted failure' });
    expect(jobs.get('ar-quiet')).toMatchObject({ status: 'timed_out', attempts: 1 });
    expect(slow.documents).toHaveLength(1);
    expect(quiet.documents).toHaveLength(1);
    // Nothing is left to do, so the progress stream ends.
    const events = await t.request('GET', `/api/v1/rollouts/${created.id}/events`);
    expect(events.body).toMatch(/event: end/);
  });
});
