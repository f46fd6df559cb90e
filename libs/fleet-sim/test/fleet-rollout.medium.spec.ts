import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { CredentialsStore, Fleet, FleetApi, INSTANT_DEVICES, prepareFleet } from '@edgefleet/fleet-sim';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';
import { FAST_ROLLOUTS } from '../../rollouts/test/support/rollout-fleet';

const DEVICES = 500;

describe('fleet simulator: 500 simulated devices complete a firmware rollout against the real server', () => {
  let t: TestApp;
  let dir: string;
  let api: FleetApi;
  let fleet: Fleet | undefined;

  beforeAll(async () => {
    dir = scratchDir('edgefleet-fleet-sim-');
    t = await TestApp.start({ FLEET_DATA_DIR: dir, ...FAST_ROLLOUTS }, { broker: true });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    api = new FleetApi(t.app.getHttpAdapter().getInstance().listeningOrigin, t.adminToken);
  });
  afterAll(async () => {
    await fleet?.stop();
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers, connects, downloads, installs and reports the new version on every device, wave by wave', async () => {
    const lines: string[] = [];
    const store = new CredentialsStore(join(dir, 'sim', 'credentials.json'));
    const setup = await prepareFleet(api, store, 'simcam', DEVICES, (line) => lines.push(line));
    expect(setup.registered).toBe(DEVICES);
    expect(new Set(setup.logins.map((login) => login.id)).size).toBe(DEVICES);

    fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: t.broker.mqtt,
      logins: setup.logins,
      firmware: '1.0.0',
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: 1_000,
      latency: { min: 0, max: 50 },
      installTime: { min: 20, max: 200 },
      rebootTime: { min: 20, max: 100 },
    });
    await fleet.start();
    await waitFor(() => fleet!.stats().online, (online) => online === DEVICES, 20_000);
    await waitFor(
      () => api.request<{ items: unknown[] }>('GET', '/api/v1/devices?type=simcam&status=online&firmware=1.0.0&limit=1000'),
      (page) => page.items.length === DEVICES,
      10_000,
    );

    const image = join(dir, 'firmware-2.0.0.bin');
    await writeFile(image, randomBytes(32 * 1024));
    const artifact = await api.uploadArtifact(image, { name: 'sim firmware', version: '2.0.0', deviceTypes: ['simcam'] });
    const created = await api.createRollout({
      name: 'sim 2.0.0',
      type: 'firmware',
      artifactId: artifact.id,
      target: { selector: { type: 'simcam' } },
      strategy: { waves: [10, 50, 100], maxInFlight: 500, deviceTimeoutSeconds: 60, retries: 1, failureThreshold: { percent: 5, minSamples: 20 } },
    });

    const rollout = await waitFor(
      () => api.rollout(created.id),
      (r) => ['completed', 'aborted', 'cancelled'].includes(r.state),
      90_000,
    );
    expect(rollout.state).toBe('completed');
    expect(rollout.targetCount).toBe(DEVICES);
    expect(rollout.counts).toMatchObject({ succeeded: DEVICES, failed: 0, timed_out: 0 });
    expect(rollout.waves!.map((wave) => wave.total)).toEqual([50, 200, 250]);

    const stats = fleet.stats();
    expect(stats.firmware).toEqual({ '2.0.0': DEVICES });
    expect(stats.jobs).toEqual({ succeeded: DEVICES });
    expect(stats.refused).toBe(0);
    const upgraded = await api.request<{ items: unknown[] }>('GET', '/api/v1/devices?type=simcam&firmware=2.0.0&limit=1000');
    expect(upgraded.items).toHaveLength(DEVICES);

    // The credentials were kept: a second run against the same server reuses the devices.
    const again = await prepareFleet(api, store, 'simcam', DEVICES, (line) => lines.push(line));
    expect(again).toMatchObject({ registered: 0, reused: DEVICES });
  }, 150_000);
});
