import { PrismaService } from '@edgefleet/database';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

const appOk = { path: 'health.app', op: 'eq', value: 'ok' };

describe('health gate verdicts, dry runs, config revert and offline devices (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-gate-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('inconclusive devices (no health data before maxBakeSeconds) pause the rollout; an operator promotes the held wave', async () => {
    const fleet = ids('hi', 4);
    const cams = await connectFleet(t, fleet);
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const artifact = await uploadFirmware(t, '5.0.0');
    const health = { bakeSeconds: 1, maxBakeSeconds: 2, checks: [appOk], minEvaluated: 2, maxUnhealthyPercent: 10, action: 'revert' };
    const rollout = await createRollout(t, firmwareRollout('silent health', artifact.id, fleet.map((d) => d.id), { waves: [50, 100], health }));
    const stream = t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/api/v1/rollouts/${rollout.id}/events`, headers: { authorization: `Bearer ${t.adminToken}` } });
    const paused = await waitForRollout(t, rollout.id, (r) => r.state === 'paused');
    expect(paused.reason).toMatch(/inconclusive > maxInconclusivePercent 0%/);
    expect(paused.currentWave).toBe(0);
    expect(paused.waves[1].counts.queued).toBe(2);
    const jobs = [...(await rolloutJobs(t, rollout.id, '&wave=0')).values()];
    expect(jobs.map((j) => j.health)).toEqual(['inconclusive', 'inconclusive']);

    // Resume alone is judged again by the same gate (and held again); promote lets the wave through.
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/resume`)).status).toBe(200);
    await waitFor(() => t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`), (r) => r.body.items.length === 2);
    await waitForRollout(t, rollout.id, (r) => r.state === 'paused');
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/promote`)).status).toBe(200);
    await waitForRollout(t, rollout.id, (r) => r.state === 'paused' && r.currentWave === 1);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/promote`)).status).toBe(200);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(4);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/promote`)).status).toBe(409);
    const decisions = (await t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`)).body.items;
    expect(decisions.map((d: { wave: number; action: string; actedBy: string }) => [d.wave, d.action, d.actedBy])).toEqual([
      [0, 'pause', 'rule'],
      [0, 'pause', 'rule'],
      [0, 'promote', 'operator'],
      [1, 'pause', 'rule'],
      [1, 'promote', 'operator'],
    ]);
    // The events stream carried each decision as it was made.
    const streamed = (await stream).body.split('\n\n').filter((block: string) => block.startsWith('event: decision'));
    expect(streamed.map((block: string) => JSON.parse(block.split('data: ')[1]).id)).toEqual(decisions.map((d: { id: string }) => d.id));
  });

  it('a failing dry-run check is recorded and changes nothing', async () => {
    const fleet = ids('hd', 3);
    const cams = await connectFleet(t, fleet, { stateAfter: () => ({ health: { app: 'ok', camera: 'down' } }) });
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const artifact = await uploadFirmware(t, '5.1.0');
    const health = { bakeSeconds: 1, checks: [appOk, { path: 'health.camera', op: 'eq', value: 'up', dryRun: true }], minEvaluated: 3, maxUnhealthyPercent: 0, action: 'revert' };
    // Nothing was ever installed on these devices by a job: a revert would not know where to send them.
    const preview = await t.request('POST', '/api/v1/rollouts/preview', firmwareRollout('dry run', artifact.id, fleet.map((d) => d.id), { health }));
    expect(preview.body.health).toMatchObject({ revertTargetsKnown: 0, revertTargetsUnknown: 3, unknownDeviceIds: fleet.map((d) => d.id) });
    const rollout = await createRollout(t, firmwareRollout('dry run', artifact.id, fleet.map((d) => d.id), { health }));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.revertCounts.queued + done.revertCounts.succeeded).toBe(0);
    for (const job of (await rolloutJobs(t, rollout.id)).values()) {
      expect(job.health).toBe('healthy');
      expect(job.healthDetail.samples).toContainEqual(expect.objectContaining({ path: 'health.camera', actual: 'down', passed: false, dryRun: true }));
    }
    for (const cam of cams) expect(cam.documents).toHaveLength(1);
  });

  it('a config rollout revert restores the previous desired values of the keys it set', async () => {
    const fleet = ids('hc', 4);
    const cams = await connectFleet(t, fleet, (id) => ({
      stateAfter: (document) => ({ health: { app: document.type === 'config' && document.config.mode === 'turbo' && id.endsWith('0') ? 'crash' : 'ok' } }),
    }));
    devices.push(...cams);
    await waitForFirmware(t, cams);
    for (const cam of cams) expect((await t.request('PATCH', `/api/v1/devices/${cam.id}/twin/desired`, { sampling: { interval: 10 }, keep: 'me' })).status).toBe(200);
    const health = { bakeSeconds: 1, checks: [appOk], minEvaluated: 1, maxUnhealthyPercent: 10, action: 'revert' };
    const rollout = await createRollout(t, { name: 'turbo', type: 'config', config: { sampling: { interval: 1 }, mode: 'turbo' }, target: { deviceIds: fleet.map((d) => d.id) }, strategy: { health } });
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'reverted');
    expect(done.reason).toMatch(/health\.app eq "ok" failed/);
    for (const cam of cams) {
      const twin = (await t.request('GET', `/api/v1/devices/${cam.id}/twin`)).body;
      expect(twin.desired).toEqual({ sampling: { interval: 10 }, keep: 'me' });
      expect(cam.documents.at(-1)!.document).toEqual({ type: 'config', rolloutId: rollout.id, config: { sampling: { interval: 10 }, mode: null } });
    }
  });

  it('a device online since its success with nothing failing bakes with no record written: shown pending with its baked time, written once at its verdict', async () => {
    const [cam] = await connectFleet(t, [{ id: 'hw-000' }], { stateAfter: () => ({ health: { app: 'ok' } }) });
    devices.push(cam);
    await waitForFirmware(t, [cam]);
    const artifact = await uploadFirmware(t, '5.2.0');
    const health = { bakeSeconds: 3, checks: [appOk], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'revert' };
    const rollout = await createRollout(t, firmwareRollout('implied bake', artifact.id, [cam.id], { health }));
    const baking = await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get(cam.id)?.healthDetail?.bakedSeconds >= 1);
    expect(baking.get(cam.id).health).toBe('pending');
    const stored = () => t.app.get(PrismaService).$queryRaw<{ health: string | null }[]>`SELECT health FROM rollout_jobs WHERE rollout_id = ${rollout.id}::uuid AND device_id = ${cam.id}`;
    expect(await stored()).toEqual([{ health: null }]);
    await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(await stored()).toEqual([{ health: 'healthy' }]);
    expect((await rolloutJobs(t, rollout.id)).get(cam.id).healthDetail.bakedSeconds).toBeGreaterThanOrEqual(3);
  });

  it('an offline device’s bake waits (offline time does not count), and its revert arrives when it connects', async () => {
    const [cam] = await connectFleet(t, [{ id: 'ho-000' }], { stateAfter: () => ({ health: { app: 'ok' } }) });
    devices.push(cam);
    await waitForFirmware(t, [cam]);
    const [v1, v2] = [await uploadFirmware(t, '6.0.0'), await uploadFirmware(t, '6.1.0')];
    await waitForRollout(t, (await createRollout(t, firmwareRollout('to 6.0', v1.id, [cam.id]))).id, (r) => r.state === 'completed');
    const health = { bakeSeconds: 2, checks: [appOk], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'revert' };
    const rollout = await createRollout(t, firmwareRollout('to 6.1', v2.id, [cam.id], { health }));
    await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get(cam.id)?.health === 'pending');
    await cam.disconnect();
    await waitFor(() => t.request('GET', `/api/v1/devices/${cam.id}`), (r) => r.body.status === 'offline');
    await sleep(2_500);
    const waiting = (await rolloutJobs(t, rollout.id)).get(cam.id);
    expect(waiting.health).toBe('pending');
    expect(waiting.healthDetail.bakedSeconds).toBeLessThan(2);

    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/revert`)).status).toBe(200);
    await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get(cam.id)?.healthDetail.revert?.status === 'pending_offline');
    await cam.connect(t.broker.mqtt);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'reverted');
    expect(done).toMatchObject({ reason: expect.stringMatching(/^reverted by /), revertCounts: { succeeded: 1 } });
    expect(cam.firmware).toBe('6.0.0');
    const decisions = (await t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`)).body.items;
    expect(decisions).toMatchObject([{ action: 'revert', rule: 'manual', actedBy: 'operator' }]);
  });

  it('a device that rolls itself back is unhealthy (versionRegression) and the abort action stops the rollout without a revert', async () => {
    const fleet = ids('hv', 4);
    const cams = await connectFleet(t, fleet);
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const artifact = await uploadFirmware(t, '7.0.0');
    const health = { bakeSeconds: 30, checks: [], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'abort', signals: { versionRegression: {} } };
    const rollout = await createRollout(t, firmwareRollout('self rollback', artifact.id, fleet.map((d) => d.id), { waves: [50, 100], health }));
    const baking = await waitFor(() => rolloutJobs(t, rollout.id, '&wave=0'), (jobs) => [...jobs.values()].some((j) => j.health === 'pending'));
    const rolledBack = cams.find((cam) => baking.get(cam.id)?.health === 'pending')!;
    await rolledBack.reportFirmware('1.0.0');
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'aborted');
    expect(done.reason).toMatch(/versionRegression failed on 1 device/);
    expect(done.revertCounts.queued + done.revertCounts.succeeded).toBe(0);
    expect((await rolloutJobs(t, rollout.id)).get(rolledBack.id).healthDetail.samples).toContainEqual(expect.objectContaining({ signal: 'versionRegression', actual: '1.0.0', value: '7.0.0' }));
    expect(done.waves[1].counts.cancelled).toBe(2);
  });

  it('a device that reconnects again and again after its success is unhealthy (reconnectLoop); one reconnect is not', async () => {
    const fleet = ids('hr', 4);
    const cams = await connectFleet(t, fleet);
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const artifact = await uploadFirmware(t, '7.5.0');
    const health = { bakeSeconds: 30, checks: [], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'pause', signals: { reconnectLoop: { maxReconnects: 2, withinSeconds: 60 } } };
    const rollout = await createRollout(t, firmwareRollout('reconnect loop', artifact.id, fleet.map((d) => d.id), { waves: [50, 100], health }));
    const baking = await waitFor(() => rolloutJobs(t, rollout.id, '&wave=0'), (jobs) => [...jobs.values()].filter((j) => j.health === 'pending').length === 2, 20_000);
    const [looping, steady] = [...baking.keys()].map((id) => cams.find((cam) => cam.id === id)!);
    const reconnect = async (cam: JobDevice) => {
      await cam.disconnect();
      await cam.connect(t.broker.mqtt);
    };
    await reconnect(steady);
    for (let i = 0; i < 3; i++) await reconnect(looping);
    const paused = await waitForRollout(t, rollout.id, (r) => r.state === 'paused');
    expect(paused.reason).toMatch(/reconnectLoop failed on 1 device/);
    expect(paused.currentWave).toBe(0);
    const jobs = await rolloutJobs(t, rollout.id, '&wave=0');
    expect(jobs.get(looping.id).health).toBe('unhealthy');
    expect(jobs.get(looping.id).healthDetail.samples).toContainEqual(expect.objectContaining({ signal: 'reconnectLoop', value: 2, actual: 3, passed: false }));
    expect(jobs.get(steady.id).health).toBe('pending');
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('a relative check compares each device with its own value recorded at dispatch', async () => {
    const fleet = ids('hb', 3);
    // hb-000: 0.02 → 0.025 (within 1.5 ×); hb-001: 0.01 → 0.025 (above); hb-002 reported nothing before: skipped.
    const before: Record<string, number> = { 'hb-000': 0.02, 'hb-001': 0.01 };
    const cams = await connectFleet(t, fleet, { stateAfter: () => ({ metrics: { errorRate: 0.025 } }) });
    devices.push(...cams);
    await waitForFirmware(t, cams);
    for (const cam of cams) if (before[cam.id] !== undefined) await cam.reportState({ metrics: { errorRate: before[cam.id] } });
    for (const id of Object.keys(before)) await waitFor(() => t.request('GET', `/api/v1/devices/${id}/twin`), (r) => r.body.reported.metrics?.errorRate === before[id]);
    const artifact = await uploadFirmware(t, '7.6.0');
    const health = { bakeSeconds: 1, checks: [{ path: 'metrics.errorRate', op: 'lte', relative: { factor: 1.5 } }], minEvaluated: 3, maxUnhealthyPercent: 50, action: 'pause' };
    const rollout = await createRollout(t, firmwareRollout('relative', artifact.id, fleet.map((d) => d.id), { health }));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(3);
    const jobs = await rolloutJobs(t, rollout.id);
    expect(jobs.get('hb-000')).toMatchObject({ health: 'healthy', healthDetail: { samples: [expect.objectContaining({ baseline: 0.02, value: 0.03, actual: 0.025, passed: true })] } });
    expect(jobs.get('hb-001')).toMatchObject({ health: 'unhealthy', healthDetail: { samples: [expect.objectContaining({ baseline: 0.01, value: 0.015, actual: 0.025, passed: false })] } });
    expect(jobs.get('hb-002')).toMatchObject({ health: 'healthy', healthDetail: { samples: [] } });
    const [decision] = (await t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`)).body.items;
    expect(decision).toMatchObject({ action: 'promote', detail: { counts: { healthy: 2, unhealthy: 1 } } });
  });

  it('quarantine: a reverted rollout quarantines its artifact; a new rollout with it is refused (409) unless forced', async () => {
    const fleet = ids('hq', 2);
    const cams = await connectFleet(t, fleet, { stateAfter: (document) => ({ health: { app: document.type === 'firmware' && document.artifact.version === '9.1.0' ? 'crash' : 'ok' } }) });
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const [good, bad] = [await uploadFirmware(t, '9.0.0'), await uploadFirmware(t, '9.1.0')];
    await waitForRollout(t, (await createRollout(t, firmwareRollout('to 9.0', good.id, fleet.map((d) => d.id)))).id, (r) => r.state === 'completed');
    const health = { bakeSeconds: 1, checks: [appOk], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'revert', quarantine: true };
    const rollout = await createRollout(t, firmwareRollout('to 9.1', bad.id, fleet.map((d) => d.id), { health }));
    await waitForRollout(t, rollout.id, (r) => r.state === 'reverted');
    for (const cam of cams) expect(cam.firmware).toBe('9.0.0');
    const artifact = (await t.request('GET', `/api/v1/artifacts/${bad.id}`)).body;
    expect(artifact.quarantine).toMatchObject({ at: expect.any(String), reason: expect.stringMatching(/^rollout 'to 9\.1' \(.+\) reverted: health gate tripped: health\.app eq "ok" failed/) });
    expect((await t.request('GET', `/api/v1/artifacts/${good.id}`)).body.quarantine).toBeNull();
    const again = firmwareRollout('to 9.1 again', bad.id, fleet.map((d) => d.id));
    const refused = await t.request('POST', '/api/v1/rollouts', again);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/is quarantined since .*; pass force: true/);
    const forced = await t.request('POST', '/api/v1/rollouts', { ...again, force: true });
    expect(forced.status).toBe(201);
    await waitForRollout(t, forced.body.id, (r) => r.state === 'completed');
    const audit = (await t.request('GET', `/api/v1/audit?action=artifact.quarantine&resourceId=${bad.id}`)).body;
    expect(audit.items).toHaveLength(1);
    // Lifted: no force needed any more.
    const lifted = await t.request('DELETE', `/api/v1/artifacts/${bad.id}/quarantine`);
    expect(lifted).toMatchObject({ status: 200, body: { id: bad.id, quarantine: null } });
    const plain = await t.request('POST', '/api/v1/rollouts', firmwareRollout('to 9.1 lifted', bad.id, fleet.map((d) => d.id)));
    expect(plain.status).toBe(201);
    await waitForRollout(t, plain.body.id, (r) => r.state === 'completed');
  });

  it('an operator reverts one device while its wave bakes; a second revert of it is refused', async () => {
    const fleet = ids('h1', 4);
    const cams = await connectFleet(t, fleet, { stateAfter: () => ({ health: { app: 'ok' } }) });
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const [v1, v2] = [await uploadFirmware(t, '8.0.0'), await uploadFirmware(t, '8.1.0')];
    await waitForRollout(t, (await createRollout(t, firmwareRollout('to 8.0', v1.id, fleet.map((d) => d.id)))).id, (r) => r.state === 'completed');
    const health = { bakeSeconds: 60, checks: [appOk], minEvaluated: 2, maxUnhealthyPercent: 0, action: 'revert' };
    const rollout = await createRollout(t, firmwareRollout('to 8.1', v2.id, fleet.map((d) => d.id), { waves: [50, 100], health }));
    const baking = await waitFor(() => rolloutJobs(t, rollout.id, '&wave=0'), (jobs) => [...jobs.values()].filter((j) => j.health === 'pending').length === 2, 20_000);
    const [chosen] = [...baking.keys()];
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/devices/${chosen}/revert`)).status).toBe(200);
    const reverted = await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get(chosen)?.healthDetail.revert?.status === 'succeeded', 20_000);
    expect(reverted.get(chosen).healthDetail.revert).toMatchObject({ version: '8.0.0', attempts: 1 });
    expect(cams.find((c) => c.id === chosen)!.firmware).toBe('8.0.0');
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/devices/${chosen}/revert`)).status).toBe(409);
    const view = (await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body;
    expect(view).toMatchObject({ state: 'running', currentWave: 0, revertCounts: { succeeded: 1 } });
    const decisions = (await t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`)).body.items;
    expect(decisions).toMatchObject([{ action: 'revertDevice', rule: 'manual', actedBy: 'operator' }]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });
});
