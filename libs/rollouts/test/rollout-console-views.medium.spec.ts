import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, ids, registerDevices, waitForFirmware, waitForRollout } from './support/rollout-fleet';

/** What the console shows of rollouts: offline devices per wave in the preview, a device's jobs, a closed window's next opening. */
describe('rollout views for the console (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-views-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('previews how many devices of each wave are offline now', async () => {
    const online = ids('pv-on', 3);
    devices.push(...(await connectFleet(t, online)));
    await waitForFirmware(t, devices);
    await registerDevices(t, ids('pv-off', 5));
    const body = { name: 'p', type: 'config', config: { a: 1 }, target: { selector: { q: 'pv-' } }, strategy: { waves: [50, 100] } };
    const preview = await t.request('POST', '/api/v1/rollouts/preview', body);
    expect(preview.status).toBe(200);
    expect(preview.body.targetCount).toBe(8);
    const offlineIds = new Set(ids('pv-off', 5).map((d) => d.id));
    for (const wave of preview.body.waves) {
      expect(wave.offline).toBe(wave.deviceIds.filter((id: string) => offlineIds.has(id)).length);
    }
    expect(preview.body.waves.reduce((n: number, w: { offline: number }) => n + w.offline, 0)).toBe(5);
  });

  it("lists a device's jobs across rollouts, newest first", async () => {
    const target = { deviceIds: ['pv-on-000'] };
    const first = await createRollout(t, { name: 'first', type: 'config', config: { a: 1 }, target });
    await waitForRollout(t, first.id, (r) => r.state === 'completed');
    const second = await createRollout(t, { name: 'second', type: 'config', config: { a: 2 }, target });
    await waitForRollout(t, second.id, (r) => r.state === 'completed');
    const jobs = await t.request('GET', '/api/v1/devices/pv-on-000/jobs');
    expect(jobs.status).toBe(200);
    expect(jobs.body.items.map((j: any) => [j.rolloutName, j.status, j.rolloutState, j.rolloutType])).toEqual([
      ['second', 'succeeded', 'completed', 'config'],
      ['first', 'succeeded', 'completed', 'config'],
    ]);
    expect((await t.request('GET', '/api/v1/devices/pv-off-000/jobs')).body.items).toEqual([]);
    expect((await t.request('GET', '/api/v1/devices/pv-on-000/jobs?limit=0')).status).toBe(400);
  });

  it('says when a closed maintenance window opens next', async () => {
    const now = new Date();
    const hour = (now.getUTCHours() + 12) % 24;
    const window = { cron: `0 ${hour} * * *`, durationMinutes: 60 };
    const rollout = await createRollout(t, { name: 'later', type: 'config', config: { b: 1 }, target: { deviceIds: ['pv-on-001'] }, schedule: { window } });
    expect(rollout.window.open).toBe(false);
    const next = new Date(rollout.window.nextOpenAt);
    expect(next.getUTCHours()).toBe(hour);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime() - now.getTime()).toBeGreaterThan(11 * 3600_000);
    expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(12 * 3600_000);
    const open = await createRollout(t, { name: 'now', type: 'config', config: { b: 2 }, target: { deviceIds: ['pv-on-002'] }, schedule: { window: { cron: '* * * * *', durationMinutes: 5 } } });
    expect(open.window).toEqual({ open: true, nextOpenAt: null });
  });
});
