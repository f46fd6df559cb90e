import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, registerDevices, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';
import { MIN_CHECK_INTERVAL_MS } from '../src/new-device-checks';

/** Long enough for a rollout that follows its target to have looked again after a registration. */
const AFTER_A_CHECK_MS = MIN_CHECK_INTERVAL_MS + 1_000;

describe('includeNewDevices: devices that come to match join a running rollout (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  const connect = async (...fleet: Parameters<typeof connectFleet>[1]): Promise<JobDevice[]> => {
    const connected = await connectFleet(t, fleet);
    devices.push(...connected);
    await waitForFirmware(t, connected);
    return connected;
  };
  /** A device that takes its job and does nothing until the test finishes it by hand: it keeps the rollout running. */
  const holder = async (id: string, tags: Record<string, string>): Promise<JobDevice> => {
    const [device] = await connect({ id, tags });
    device.behaviour = 'silent';
    return device;
  };
  const finishByHand = async (device: JobDevice): Promise<void> => {
    const [jobId] = device.jobIds();
    await device.reportFirmware(artifact.version);
    await device.report(jobId, 'succeeded', { progress: 100 });
  };
  const selectorRollout = (name: string, tag: string, target: object = {}, strategy: object = {}) => ({
    name,
    type: 'firmware',
    artifactId: artifact.id,
    target: { selector: { tag: [tag] }, ...target },
    strategy,
  });

  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-new-devices-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('gives a device registered or retagged while the rollout runs its job, grows targetCount, leaves out other types; nobody joins once it completed', async () => {
    const first = await holder('nd-first', { site: 'nd' });
    const [retagged] = await connect({ id: 'nd-retagged', tags: { site: 'elsewhere' } });
    const rollout = await createRollout(t, selectorRollout('follow', 'site:nd', { includeNewDevices: true }, { maxInFlight: 2 }));
    expect(rollout).toMatchObject({ state: 'running', targetCount: 1, excludedCount: 0, target: { includeNewDevices: true } });
    await waitFor(() => first.documents.length, (n) => n === 1, 10_000);

    const [late] = await connect({ id: 'nd-late', tags: { site: 'nd' } });
    await registerDevices(t, [{ id: 'nd-gw', type: 'gateway', tags: { site: 'nd' } }]);
    const grown = await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 1 && r.excludedCount === 1);
    expect(grown).toMatchObject({ state: 'running', targetCount: 2, excludedCount: 1 });
    expect(grown.reason).toBe('left out 1 device(s) of a type the artifact is not for: nd-gw');
    expect(late.firmware).toBe('2.0.0');
    const jobs = await rolloutJobs(t, rollout.id);
    expect(jobs.get('nd-late')).toMatchObject({ wave: 0, status: 'succeeded', attempts: 1 });
    expect(jobs.has('nd-gw')).toBe(false);

    expect((await t.request('PATCH', `/api/v1/devices/${retagged.id}`, { tags: { site: 'nd' } })).status).toBe(200);
    await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 2 && r.targetCount === 3);
    expect(retagged.documents).toHaveLength(1);

    await finishByHand(first);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done).toMatchObject({ targetCount: 3, excludedCount: 1, counts: { succeeded: 3, notified: 0, queued: 0 } });
    expect(done.reason).toBeNull();

    const [tooLate] = await connect({ id: 'nd-too-late', tags: { site: 'nd' } });
    await sleep(AFTER_A_CHECK_MS);
    expect(await waitForRollout(t, rollout.id, () => true)).toMatchObject({ state: 'completed', targetCount: 3 });
    expect(tooLate.documents).toEqual([]);
    expect([...(await rolloutJobs(t, rollout.id)).keys()].sort()).toEqual(['nd-first', 'nd-late', 'nd-retagged']);
  });

  it('puts a late device in the last wave: it waits for the earlier waves to settle', async () => {
    const first = await holder('nw-first', { site: 'nw' });
    const rollout = await createRollout(t, selectorRollout('follow in waves', 'site:nw', { includeNewDevices: true }, { waves: [50, 100] }));
    await waitFor(() => first.documents.length, (n) => n === 1, 10_000);
    const [late] = await connect({ id: 'nw-late', tags: { site: 'nw' } });
    await waitForRollout(t, rollout.id, (r) => r.targetCount === 2);
    expect((await rolloutJobs(t, rollout.id)).get('nw-late')).toMatchObject({ wave: 1, status: 'queued', attempts: 0 });
    await sleep(500);
    expect(late.documents).toEqual([]);

    await finishByHand(first);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done).toMatchObject({ targetCount: 2, counts: { succeeded: 2 }, waves: [{ total: 1 }, { total: 1 }] });
    expect(late.documents).toHaveLength(1);
  });

  it('without the option the same device gets nothing', async () => {
    const first = await holder('nf-first', { site: 'nf' });
    const rollout = await createRollout(t, selectorRollout('frozen', 'site:nf'));
    expect(rollout.target.includeNewDevices).toBeUndefined();
    await waitFor(() => first.documents.length, (n) => n === 1, 10_000);
    const [late] = await connect({ id: 'nf-late', tags: { site: 'nf' } });
    await sleep(AFTER_A_CHECK_MS);
    expect(await waitForRollout(t, rollout.id, () => true)).toMatchObject({ state: 'running', targetCount: 1 });
    expect([...(await rolloutJobs(t, rollout.id)).keys()]).toEqual(['nf-first']);
    expect(late.documents).toEqual([]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('follows dynamic groups and the selector, not device ids or static groups', async () => {
    const first = await holder('ns-first', {});
    const [member] = await connect({ id: 'ns-member' });
    const fixed = (await t.request('POST', '/api/v1/groups', { name: 'ns-static' })).body;
    const dynamic = (await t.request('POST', '/api/v1/groups', { name: 'ns-dynamic', selector: { tag: ['site:ns'] } })).body;
    const rollout = await createRollout(t, {
      name: 'follow groups',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: [first.id], groupIds: [fixed.id, dynamic.id], includeNewDevices: true },
    });
    expect(rollout.targetCount).toBe(1);
    await waitFor(() => first.documents.length, (n) => n === 1, 10_000);

    expect((await t.request('PUT', `/api/v1/groups/${fixed.id}/devices/${member.id}`)).status).toBe(204);
    const [joined] = await connect({ id: 'ns-joined', tags: { site: 'ns' } });
    const grown = await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 1);
    expect(grown.targetCount).toBe(2);
    expect(joined.documents).toHaveLength(1);
    await sleep(AFTER_A_CHECK_MS);
    expect([...(await rolloutJobs(t, rollout.id)).keys()].sort()).toEqual(['ns-first', 'ns-joined']);
    expect(member.documents).toEqual([]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  describe('refuses includeNewDevices with nothing to follow: 400 naming the field, on create and preview', () => {
    let staticGroup: string;
    beforeAll(async () => {
      await registerDevices(t, [{ id: 'nv-cam', tags: { site: 'nv' } }]);
      staticGroup = (await t.request('POST', '/api/v1/groups', { name: 'nv-static' })).body.id;
    });

    it.each([
      ['device ids only', () => ({ deviceIds: ['nv-cam'] }), /^target\.includeNewDevices: needs a selector or a dynamic group/],
      ['a static group only', () => ({ groupIds: [staticGroup] }), /^target\.includeNewDevices: needs a selector or a dynamic group.*; the groups given are static$/],
      ['a value that is not a boolean', () => ({ selector: { tag: ['site:nv'] }, includeNewDevices: 'yes' }), /target\.includeNewDevices/],
    ])('%s', async (_what, target, message) => {
      const body = { name: 'refused', type: 'firmware', artifactId: artifact.id, target: { includeNewDevices: true, ...target() } };
      for (const url of ['/api/v1/rollouts', '/api/v1/rollouts/preview']) {
        const response = await t.request('POST', url, body);
        expect(response.status).toBe(400);
        expect(response.body.message).toMatch(message);
      }
      expect((await t.request('GET', '/api/v1/rollouts?limit=100')).body.items.map((r: { name: string }) => r.name)).not.toContain('refused');
    });
  });
});
