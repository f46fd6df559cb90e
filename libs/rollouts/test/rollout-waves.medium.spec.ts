import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, peakInFlight, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('firmware rollout in waves (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-waves-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('previews deterministic waves spread over tags, then runs them in order: no device of a later wave gets its job before the earlier wave settled', async () => {
    const fleet = [...ids('wv-a', 5, { tags: { site: 'a' } }), ...ids('wv-b', 5, { tags: { site: 'b' } })];
    devices.push(...(await connectFleet(t, fleet, { stepMs: 40 })));
    const fleetDevices = devices.slice(-fleet.length);
    await waitForFirmware(t, fleetDevices);
    const artifact = await uploadFirmware(t, '2.0.0');
    const body = { name: 'waves', type: 'firmware', artifactId: artifact.id, target: { selector: { tag: ['site:a'] }, deviceIds: ids('wv-b', 5).map((d) => d.id) }, strategy: { waves: [20, 50, 100], maxInFlight: 10 } };

    const preview = await t.request('POST', '/api/v1/rollouts/preview', body);
    expect(preview.status).toBe(200);
    expect(preview.body.targetCount).toBe(10);
    expect(preview.body.waves.map((w: { count: number }) => w.count)).toEqual([2, 3, 5]);
    expect(preview.body.waves.flatMap((w: { deviceIds: string[] }) => w.deviceIds).sort()).toEqual(fleet.map((d) => d.id).sort());
    // The first wave samples both sites rather than the first devices by id.
    expect(preview.body.waves[0].deviceIds.map((id: string) => id.slice(0, 4)).sort()).toEqual(['wv-a', 'wv-b']);
    expect((await t.request('POST', '/api/v1/rollouts/preview', body)).body).toEqual(preview.body);
    expect((await t.request('GET', '/api/v1/rollouts')).body.items).toEqual([]);

    const created = await createRollout(t, body);
    expect(created).toMatchObject({ state: 'running', targetCount: 10, artifactVersion: '2.0.0' });
    const planned = await rolloutJobs(t, created.id);
    preview.body.waves.forEach((wave: { wave: number; deviceIds: string[] }) => {
      for (const id of wave.deviceIds) expect(planned.get(id)?.wave).toBe(wave.wave);
    });

    const done = await waitForRollout(t, created.id, (r) => r.state === 'completed');
    expect(done.reason).toBeNull();
    expect(done.counts.succeeded).toBe(10);
    expect(done.waves.map((w: { total: number; counts: { succeeded: number } }) => [w.total, w.counts.succeeded])).toEqual([
      [2, 2],
      [3, 3],
      [5, 5],
    ]);

    const jobs = [...(await rolloutJobs(t, created.id)).values()];
    expect(jobs.every((job) => job.status === 'succeeded' && job.attempts === 1)).toBe(true);
    for (let wave = 1; wave < 3; wave++) {
      const earlierSettled = Math.max(...jobs.filter((j) => j.wave < wave).map((j) => Date.parse(j.finishedAt)));
      const firstSent = Math.min(...jobs.filter((j) => j.wave === wave).map((j) => Date.parse(j.dispatchedAt)));
      expect(firstSent).toBeGreaterThanOrEqual(earlierSettled);
      // And as the devices saw it: the job document came after every earlier device reported success.
      const earlierDone = Math.max(...jobs.filter((j) => j.wave < wave).map((j) => fleetDevices.find((d) => d.id === j.deviceId)!.succeededAt.get(j.jobId)!));
      const firstReceived = Math.min(...jobs.filter((j) => j.wave === wave).map((j) => fleetDevices.find((d) => d.id === j.deviceId)!.documents[0].at));
      expect(firstReceived).toBeGreaterThan(earlierDone);
    }
    for (const device of fleetDevices) {
      expect(device.jobIds()).toHaveLength(1);
      expect(device.documents[0].document).toMatchObject({ type: 'firmware', artifact: { id: artifact.id, version: '2.0.0' } });
      // A finished job's document is withdrawn and the notify list ends empty.
      await waitFor(() => device.cleared, (cleared) => cleared.includes(device.jobIds()[0]));
      await waitFor(() => device.notifies.at(-1), (notify) => notify?.jobs.length === 0);
    }
    const upgraded = await t.request('GET', '/api/v1/devices?firmware=2.0.0&limit=100');
    expect(upgraded.body.items.map((d: { id: string }) => d.id).sort()).toEqual(fleet.map((d) => d.id).sort());
  });

  it('counts a firmware job succeeded only once the device reported succeeded and firmware.version equal to the artifact version', async () => {
    const [late, wrong] = await connectFleet(t, [{ id: 'wv-late' }, { id: 'wv-wrong' }], { behaviour: 'silent' });
    devices.push(late, wrong);
    await waitForFirmware(t, [late, wrong]);
    const artifact = await uploadFirmware(t, '3.0.0');
    const lateRollout = await createRollout(t, firmwareRollout('late version', artifact.id, ['wv-late'], { deviceTimeoutSeconds: 60 }));
    const wrongRollout = await createRollout(t, firmwareRollout('wrong version', artifact.id, ['wv-wrong'], { deviceTimeoutSeconds: 2 }));
    for (const device of [late, wrong]) {
      await waitFor(() => device.documents, (docs) => docs.length === 1);
      const jobId = device.jobIds()[0];
      for (const status of ['accepted', 'downloading', 'installing', 'rebooting'] as const) await device.report(jobId, status);
      await device.report(jobId, 'succeeded', { progress: 100 });
    }

    const reported = await waitFor(() => rolloutJobs(t, lateRollout.id), (jobs) => jobs.get('wv-late')?.progress === 100);
    expect(reported.get('wv-late').status).toBe('rebooting');
    // Give the scheduler several ticks: success must not be confirmed from the status alone.
    await sleep(400);
    expect((await t.request('GET', `/api/v1/rollouts/${lateRollout.id}`)).body).toMatchObject({ state: 'running', counts: { succeeded: 0, rebooting: 1 } });

    await late.reportFirmware('3.0.0');
    const done = await waitForRollout(t, lateRollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(1);
    expect((await rolloutJobs(t, lateRollout.id)).get('wv-late').status).toBe('succeeded');

    // The other device never reports the new version: its job times out, and says why.
    const timedOut = await waitForRollout(t, wrongRollout.id, (r) => r.state === 'completed');
    expect(timedOut).toMatchObject({ counts: { succeeded: 0, timed_out: 1 }, reason: '0 of 1 devices succeeded' });
    expect((await rolloutJobs(t, wrongRollout.id)).get('wv-wrong').lastError).toMatch(/firmware\.version never matched/);
  });

  it('keeps at most maxInFlight devices working at once, waits bakeTimeSeconds between waves, and pages the device list', async () => {
    const fleet = ids('wb', 6);
    const cams = await connectFleet(t, fleet, { stepMs: 30 });
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const artifact = await uploadFirmware(t, '2.1.0');
    const rollout = await createRollout(t, firmwareRollout('bake', artifact.id, fleet.map((d) => d.id), { waves: [50, 100], maxInFlight: 2, bakeTimeSeconds: 1 }));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(6);
    expect(peakInFlight(cams)).toBe(2);

    const jobs = [...(await rolloutJobs(t, rollout.id)).values()];
    const firstSettled = Math.max(...jobs.filter((j) => j.wave === 0).map((j) => Date.parse(j.finishedAt)));
    const secondStarted = Math.min(...jobs.filter((j) => j.wave === 1).map((j) => Date.parse(j.dispatchedAt)));
    expect(secondStarted - firstSettled).toBeGreaterThanOrEqual(1_000);

    const first = await t.request('GET', `/api/v1/rollouts/${rollout.id}/devices?wave=1&limit=2`);
    const second = await t.request('GET', `/api/v1/rollouts/${rollout.id}/devices?wave=1&limit=2&cursor=${first.body.nextCursor}`);
    const paged = [...first.body.items, ...second.body.items].map((j: { deviceId: string }) => j.deviceId);
    expect(second.body.nextCursor).toBeNull();
    expect(paged).toEqual(jobs.filter((j) => j.wave === 1).map((j) => j.deviceId).sort());
  });
});
