import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, ids, rolloutJobs, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('config rollout (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-config-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('merges its config into each device’s desired state, sends it in the job, and completes', async () => {
    // Config rollouts are not tied to a device type.
    const fleet = [...ids('cf-cam', 2), ...ids('cf-gw', 1, { type: 'gateway' })];
    devices.push(...(await connectFleet(t, fleet)));
    await waitForFirmware(t, devices);
    expect((await t.request('PATCH', '/api/v1/devices/cf-cam-000/twin/desired', { keep: 'me', sampling: { mode: 'fast' } })).status).toBe(200);

    const config = { sampling: { intervalSeconds: 30 }, led: 'off' };
    const rollout = await createRollout(t, { name: 'sampling', type: 'config', config, target: { deviceIds: fleet.map((d) => d.id) }, strategy: { waves: [50, 100] } });
    expect(rollout).toMatchObject({ type: 'config', config, targetCount: 3 });
    expect(rollout.artifactId).toBeUndefined();
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done).toMatchObject({ reason: null, counts: { succeeded: 3 } });

    for (const device of devices) {
      expect(device.documents).toHaveLength(1);
      expect(device.documents[0].document).toEqual({ type: 'config', rolloutId: rollout.id, config });
      const twin = (await t.request('GET', `/api/v1/devices/${device.id}/twin`)).body;
      expect(twin.desired).toMatchObject(config);
    }
    // A merge, not a replacement: keys the rollout does not mention are kept.
    const twin = (await t.request('GET', '/api/v1/devices/cf-cam-000/twin')).body;
    expect(twin.desired).toEqual({ keep: 'me', sampling: { mode: 'fast', intervalSeconds: 30 }, led: 'off' });
    expect([...(await rolloutJobs(t, rollout.id)).values()].map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});
