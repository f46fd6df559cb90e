import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { registerDevices, uploadFirmware } from './support/rollout-fleet';

describe('rollout API input (real Postgres)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  let valid: any;
  beforeAll(async () => {
    t = await TestApp.start({ FLEET_DATA_DIR: scratchDir('edgefleet-rollout-input-') });
    await registerDevices(t, [{ id: 'in-cam' }, { id: 'in-gw', type: 'gateway' }]);
    artifact = await uploadFirmware(t, '2.0.0');
    valid = { name: 'ok', type: 'firmware', artifactId: artifact.id, target: { deviceIds: ['in-cam'] }, strategy: { waves: [50, 100] } };
  });
  afterAll(() => t.stop());

  const missingArtifact = '0190a2f0-0000-7000-8000-0000000000aa';
  it.each([
    ['an unknown top-level field', { colour: 'red' }, /colour: unknown field/],
    ['an unknown strategy field', { strategy: { waves: [100], wavez: [1] } }, /strategy\.wavez: unknown field/],
    ['an unknown selector field', { target: { selector: { colour: 'red' } } }, /target\.selector\.colour: unknown field/],
    ['waves that do not increase', { strategy: { waves: [50, 40, 100] } }, /strategy\.waves: waves are cumulative percentages and must increase/],
    ['waves that do not end at 100', { strategy: { waves: [10, 50] } }, /strategy\.waves: the last wave must be 100/],
    ['a zero wave', { strategy: { waves: [0, 100] } }, /strategy\.waves: each wave must be a percentage above 0/],
    ['no waves', { strategy: { waves: [] } }, /strategy\.waves/],
    ['waves that are not numbers', { strategy: { waves: ['half', 100] } }, /strategy\.waves/],
    ['an unknown artifact', { artifactId: missingArtifact }, new RegExp(`artifactId: artifact '${missingArtifact}' not found`)],
    ['a firmware rollout without an artifact', { artifactId: undefined }, /artifactId: is required for a firmware rollout/],
    ['an unknown device', { target: { deviceIds: ['in-nobody'] } }, /target\.deviceIds: unknown device id\(s\): in-nobody/],
    ['an unknown group', { target: { groupIds: [missingArtifact] } }, /target\.groupIds: group '.*' not found/],
    ['an empty target', { target: {} }, /target: give at least one of deviceIds, groupIds or selector/],
    ['a bad cron', { schedule: { window: { cron: '61 * * * *', durationMinutes: 60 } } }, /schedule\.window\.cron: minute: 61 is outside 0-59/],
    ['an unknown time zone', { schedule: { window: { cron: '0 2 * * *', durationMinutes: 60, timeZone: 'Mars/Olympus' } } }, /schedule\.window\.timeZone/],
    ['a bad startAt', { schedule: { startAt: 'tomorrow' } }, /schedule\.startAt/],
    ['a failure threshold above 100%', { strategy: { waves: [100], failureThreshold: { percent: 150, minSamples: 1 } } }, /strategy\.failureThreshold\.percent/],
    ['a config on a firmware rollout', { config: { a: 1 } }, /config: is only for config rollouts/],
    ['a config rollout whose config is not an object', { type: 'config', artifactId: undefined, config: [1] }, /config/],
  ])('refuses %s with 400 naming the field, on create and preview, and creates nothing', async (_what, change, message) => {
    const body = { ...valid, ...change };
    for (const url of ['/api/v1/rollouts', '/api/v1/rollouts/preview']) {
      const response = await t.request('POST', url, body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.message).toMatch(message);
    }
    expect((await t.request('GET', '/api/v1/rollouts')).body.items).toEqual([]);
    expect((await t.request('GET', '/api/v1/audit?action=rollout.create')).body.items).toEqual([]);
  });

  it('refuses to create a rollout whose targets the artifact is not for, or that matches no device; preview shows why', async () => {
    const mixed = { ...valid, target: { deviceIds: ['in-cam', 'in-gw'] } };
    const refused = await t.request('POST', '/api/v1/rollouts', mixed);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('target: artifact is for cam; not for: in-gw (gateway)');
    const preview = await t.request('POST', '/api/v1/rollouts/preview', mixed);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ targetCount: 1, mismatched: [{ deviceId: 'in-gw', type: 'gateway' }] });

    const nobody = { ...valid, target: { selector: { type: 'toaster' } } };
    const empty = await t.request('POST', '/api/v1/rollouts', nobody);
    expect(empty.status).toBe(400);
    expect(empty.body.message).toBe('target: matches no devices');
    expect((await t.request('POST', '/api/v1/rollouts/preview', nobody)).body).toMatchObject({ targetCount: 0, waves: [{ count: 0 }, { count: 0 }] });
    expect((await t.request('GET', '/api/v1/rollouts')).body.items).toEqual([]);
  });

  it('resolves static groups, dynamic groups and ids into one target list without duplicates', async () => {
    await registerDevices(t, [{ id: 'gr-a', tags: { site: 'syd' } }, { id: 'gr-b', tags: { site: 'syd' } }, { id: 'gr-c' }]);
    const stat = (await t.request('POST', '/api/v1/groups', { name: 'static-gr' })).body;
    expect((await t.request('PUT', `/api/v1/groups/${stat.id}/devices/gr-c`)).status).toBe(204);
    const dynamic = (await t.request('POST', '/api/v1/groups', { name: 'syd', selector: { tag: ['site:syd'] } })).body;
    const preview = await t.request('POST', '/api/v1/rollouts/preview', { ...valid, target: { groupIds: [stat.id, dynamic.id], deviceIds: ['gr-a', 'in-cam'] } });
    expect(preview.status).toBe(200);
    expect(preview.body.targetCount).toBe(4);
    expect(preview.body.waves.flatMap((w: { deviceIds: string[] }) => w.deviceIds).sort()).toEqual(['gr-a', 'gr-b', 'gr-c', 'in-cam']);
  });

  it('answers 404 for an unknown rollout and 400 for a bad filter', async () => {
    for (const path of ['0190a2f0-0000-7000-8000-000000000000', 'not-a-uuid', '0190a2f0-0000-7000-8000-000000000000/devices']) {
      expect((await t.request('GET', `/api/v1/rollouts/${path}`)).status).toBe(404);
    }
    expect((await t.request('POST', '/api/v1/rollouts/0190a2f0-0000-7000-8000-000000000000/pause')).status).toBe(404);
    const bad = await t.request('GET', '/api/v1/rollouts?state=exploded');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^state: /);
  });

  it('lets a viewer read but not create or control rollouts', async () => {
    const viewer = await t.tokenFor('viewer');
    const operator = await t.tokenFor('operator');
    expect((await t.request('POST', '/api/v1/rollouts', valid, viewer)).status).toBe(403);
    expect((await t.request('POST', '/api/v1/rollouts', valid, null)).status).toBe(401);
    const created = await t.request('POST', '/api/v1/rollouts', { ...valid, schedule: { startAt: '2099-01-01T00:00:00Z' } }, operator);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'scheduled', createdBy: 'test operator', strategy: { waves: [50, 100], maxInFlight: 100, retries: 0, deviceTimeoutSeconds: 600 } });
    expect((await t.request('GET', `/api/v1/rollouts/${created.body.id}`, undefined, viewer)).status).toBe(200);
    expect((await t.request('POST', `/api/v1/rollouts/${created.body.id}/cancel`, undefined, viewer)).status).toBe(403);
    expect((await t.request('POST', `/api/v1/rollouts/${created.body.id}/cancel`, undefined, operator)).status).toBe(200);
  });
});
