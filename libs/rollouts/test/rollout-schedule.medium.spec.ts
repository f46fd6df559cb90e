import { PrismaService } from '@edgefleet/database';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep } from '../../../test/support/mqtt-device';
import { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, registerDevices, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

/** The hour of the day it is now in `timeZone`. */
function hourNow(timeZone: string, offsetHours = 0): number {
  const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric' }).format(new Date()));
  return (hour + offsetHours + 24) % 24;
}

describe('start time and maintenance windows (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  const device = async (id: string) => {
    const [connected] = await connectFleet(t, [{ id }]);
    devices.push(connected);
    await waitForFirmware(t, [connected]);
    return connected;
  };
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-schedule-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('starts no device while the window is closed (in-window devices stay queued, not failed)', async () => {
    const cam = await device('sc-closed');
    // A two-hour window that opens twelve hours from now: closed for the next ten hours.
    const window = { cron: `0 ${hourNow('UTC', 12)} * * *`, durationMinutes: 120 };
    const rollout = await createRollout(t, firmwareRollout('closed window', artifact.id, [cam.id], {}, { schedule: { window } }));
    expect(rollout).toMatchObject({ state: 'running', schedule: { window } });
    await sleep(600);
    const after = (await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body;
    expect(after).toMatchObject({ state: 'running', counts: { queued: 1, notified: 0, failed: 0 } });
    expect(cam.documents).toEqual([]);
    expect((await rolloutJobs(t, rollout.id)).get(cam.id)).toMatchObject({ status: 'queued', attempts: 0, dispatchedAt: null });
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('dispatches inside an open window, read in the given IANA time zone', async () => {
    const cam = await device('sc-open');
    const timeZone = 'Australia/Sydney';
    const window = { cron: `0 ${hourNow(timeZone)} * * *`, durationMinutes: 90, timeZone };
    const rollout = await createRollout(t, firmwareRollout('open window', artifact.id, [cam.id], {}, { schedule: { window } }));
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(1);
    expect(cam.documents).toHaveLength(1);
  });

  it('the same local hour read as UTC is closed when the zone is hours away from UTC', async () => {
    const cam = await device('sc-zone');
    // Sydney is 10 or 11 hours ahead of UTC: the current Sydney hour, read as UTC, is not now.
    const window = { cron: `0 ${hourNow('Australia/Sydney')} * * *`, durationMinutes: 90 };
    const rollout = await createRollout(t, firmwareRollout('utc window', artifact.id, [cam.id], {}, { schedule: { window } }));
    await sleep(500);
    expect((await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body.counts.queued).toBe(1);
    expect(cam.documents).toEqual([]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });

  it('waits for startAt: scheduled with no targets frozen, then runs', async () => {
    const cam = await device('sc-later');
    const startAt = new Date(Date.now() + 1_500).toISOString();
    const rollout = await createRollout(t, firmwareRollout('later', artifact.id, [cam.id], {}, { schedule: { startAt } }));
    expect(rollout).toMatchObject({ state: 'scheduled', targetCount: 0, startedAt: null, schedule: { startAt } });
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(cam.documents[0].at).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(done).toMatchObject({ targetCount: 1, counts: { succeeded: 1 } });
  });

  it('freezes its targets when it starts: devices that match by then are in (other types left out and counted), later ones are not', async () => {
    const [first] = await connectFleet(t, [{ id: 'fz-cam-1', tags: { site: 'fz' } }]);
    devices.push(first);
    await waitForFirmware(t, [first]);
    const startAt = new Date(Date.now() + 2_000).toISOString();
    const rollout = await createRollout(t, { name: 'frozen', type: 'firmware', artifactId: artifact.id, target: { selector: { tag: ['site:fz'] } }, schedule: { startAt } });
    expect(rollout.state).toBe('scheduled');
    const passwords = await registerDevices(t, [{ id: 'fz-cam-2', tags: { site: 'fz' } }, { id: 'fz-gw', type: 'gateway', tags: { site: 'fz' } }]);
    expect(Date.now()).toBeLessThan(Date.parse(startAt));
    const second = await new JobDevice('fz-cam-2', passwords.get('fz-cam-2')!).connect(t.broker.mqtt);
    devices.push(second);

    const started = await waitForRollout(t, rollout.id, (r) => r.state !== 'scheduled');
    expect(started).toMatchObject({ targetCount: 2, excludedCount: 1 });
    expect(started.reason).toMatch(/left out 1 device\(s\) of a type the artifact is not for: fz-gw/);
    const [late] = await connectFleet(t, [{ id: 'fz-cam-3', tags: { site: 'fz' } }]);
    devices.push(late);
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(2);
    expect([...(await rolloutJobs(t, rollout.id)).keys()].sort()).toEqual(['fz-cam-1', 'fz-cam-2']);
    expect(late.documents).toEqual([]);
  });

  it('refreshes the planner statistics of rollout_jobs when a rollout plans a thousand jobs or more', async () => {
    const analyzedAt = async () => {
      const [row] = await t.app.get(PrismaService).$queryRaw<{ at: Date | null }[]>`
        SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'rollout_jobs'`;
      return row.at;
    };
    const fleet = ids('stats', 1_000);
    await registerDevices(t, fleet);
    const before = await analyzedAt();
    const rollout = await createRollout(t, firmwareRollout('big plan', artifact.id, fleet.map((d) => d.id)));
    expect(rollout).toMatchObject({ state: 'running', targetCount: 1_000 });
    const after = await analyzedAt();
    expect(after).not.toBeNull();
    expect(after!.getTime()).toBeGreaterThan(before?.getTime() ?? 0);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
  });
});
