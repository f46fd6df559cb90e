import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

const gate = (extra: object = {}) => ({ bakeSeconds: 1, checks: [{ path: 'health.app', op: 'eq', value: 'ok' }], minEvaluated: 5, maxUnhealthyPercent: 10, action: 'revert', ...extra });

describe('health-gated firmware rollout with automatic revert (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-health-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('30% of wave 1 unhealthy: wave 2 never starts, exactly the touched devices return to their own previous (mixed) versions, and each revert is verified by a bake', async () => {
    const fleet = ids('hg', 20);
    const bad = new Set<string>();
    let stubborn = '';
    // A device reports health.app "crash" once it runs 2.0.0 if it is one of the bad ones, "ok"
    // otherwise; the stubborn one crashes on its previous version too.
    const cams = await connectFleet(t, fleet, (id) => ({
      stateAfter: (document) => ({
        health: { app: document.type === 'firmware' && ((document.artifact.version === '2.0.0' && bad.has(id)) || id === stubborn) ? 'crash' : 'ok' },
      }),
    }));
    devices.push(...cams);
    await waitForFirmware(t, cams);
    const [v11, v12, v20] = [await uploadFirmware(t, '1.1.0'), await uploadFirmware(t, '1.2.0'), await uploadFirmware(t, '2.0.0')];
    const first = fleet.filter((_, i) => i % 2 === 0).map((d) => d.id);
    const second = fleet.filter((_, i) => i % 2 === 1).map((d) => d.id);
    const before = new Map<string, string>([...first.map((id) => [id, '1.1.0'] as const), ...second.map((id) => [id, '1.2.0'] as const)]);
    for (const [artifact, targets] of [[v11, first], [v12, second]] as const) {
      const r = await createRollout(t, firmwareRollout(`to ${artifact.version}`, artifact.id, targets));
      await waitForRollout(t, r.id, (x) => x.state === 'completed');
    }

    const body = firmwareRollout('fw 2.0 gated', v20.id, fleet.map((d) => d.id), { waves: [50, 100], maxInFlight: 20, health: gate() });
    const preview = await t.request('POST', '/api/v1/rollouts/preview', body);
    const wave0: string[] = preview.body.waves[0].deviceIds;
    const wave1: string[] = preview.body.waves[1].deviceIds;
    expect(wave0).toHaveLength(10);
    // The health plan: the gate with its defaults, and every target has a known previous version.
    expect(preview.body.health).toMatchObject({ gate: { bakeSeconds: 1, maxBakeSeconds: 602, inconclusiveAction: 'pause' }, revertTargetsKnown: 20, revertTargetsUnknown: 0 });
    // Wave 0 mixes both previous versions (every other device went to 1.1.0).
    expect(new Set(wave0.map((id) => before.get(id))).size).toBe(2);
    for (const id of wave0.slice(0, 3)) bad.add(id);
    stubborn = wave0[0];

    const rollout = await createRollout(t, body);
    expect(rollout.strategy.health).toMatchObject({ bakeSeconds: 1, minEvaluated: 5, action: 'revert', inconclusiveAction: 'pause' });
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'reverted', 30_000);
    expect(done.reason).toMatch(/health\.app eq "ok" failed on \d device/);
    expect(done.revertCounts.succeeded).toBe(10);
    expect(done.waves[1].counts.cancelled).toBe(10);

    const byId = new Map(cams.map((d) => [d.id, d]));
    // Wave 2 never started: none of its devices got a 2.0.0 document.
    for (const id of wave1) {
      expect(byId.get(id)!.documents.filter((d) => d.document.rolloutId === rollout.id)).toEqual([]);
      expect(byId.get(id)!.firmware).toBe(before.get(id));
    }
    // Every touched device got 2.0.0 and then one revert to its own previous version, which it now reports.
    for (const id of wave0) {
      const docs = byId.get(id)!.documents.filter((d) => d.document.rolloutId === rollout.id).map((d) => (d.document.type === 'firmware' ? d.document.artifact.version : '?'));
      expect(docs).toEqual(['2.0.0', before.get(id)]);
    }
    // As the devices report it (the registry's firmware.version from reported state).
    for (const version of ['1.1.0', '1.2.0']) {
      const listed = await t.request('GET', `/api/v1/devices?limit=100&firmware=${version}`);
      const expected = [...before].filter(([, v]) => v === version).map(([id]) => id).sort();
      expect(listed.body.items.map((d: { id: string }) => d.id).filter((id: string) => id.startsWith('hg-')).sort()).toEqual(expected);
    }

    const jobs = await rolloutJobs(t, rollout.id);
    for (const id of bad) expect(jobs.get(id)).toMatchObject({ health: 'unhealthy', healthDetail: { samples: [expect.objectContaining({ path: 'health.app', actual: 'crash', passed: false })] } });
    for (const id of wave0) expect(jobs.get(id).healthDetail.revert).toMatchObject({ status: 'succeeded', version: before.get(id) });
    for (const id of wave1) expect(jobs.get(id)).toMatchObject({ status: 'cancelled', health: null });

    // The verification bakes: the same check, on the version each device went back to; reported once all have verdicts.
    const decisions = await waitFor(
      () => t.request('GET', `/api/v1/rollouts/${rollout.id}/decisions`),
      (r) => r.body.items.length === 2,
      15_000,
    );
    expect(decisions.status).toBe(200);
    expect(decisions.body.items[0]).toMatchObject({ wave: 0, rule: 'maxUnhealthyPercent', action: 'revert', actedBy: 'rule', actorName: 'health gate' });
    expect(decisions.body.items[1]).toMatchObject({ rule: 'revertVerification', action: 'unverified', actedBy: 'rule', detail: { counts: { succeeded: 10, healthy: 9, unhealthy: 1 }, notHealthy: [stubborn] } });
    expect(decisions.body.items[1].reason).toContain(`not healthy on their previous version: ${stubborn}`);
    const verified = await rolloutJobs(t, rollout.id);
    for (const id of wave0) expect(verified.get(id).healthDetail.revert.health).toBe(id === stubborn ? 'unhealthy' : 'healthy');
    expect(verified.get(stubborn).healthDetail.revert.samples).toContainEqual(expect.objectContaining({ path: 'health.app', actual: 'crash', passed: false }));
    expect((await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body.state).toBe('reverted');
    expect(decisions.body.items[0].detail.worst.map((d: { deviceId: string }) => d.deviceId).filter((id: string) => bad.has(id)).length).toBeGreaterThan(0);
    const audit = await t.request('GET', `/api/v1/audit?resourceId=${rollout.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['rollout.gate.revert', 'rollout.gate.unverified']));
  });
});
