import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { CredentialsStore, Fleet, FleetApi, INSTANT_DEVICES, prepareFleet } from '@edgefleet/fleet-sim';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';
import { FAST_ROLLOUTS } from '../../rollouts/test/support/rollout-fleet';

interface RolloutView {
  state: string;
  reason: string | null;
  currentWave: number;
  waves: Array<{ counts: Record<string, number> }>;
}

/** Four devices per case; every device updated to the case's version misbehaves (share 1). */
const PER_CASE = 4;
const CASES = ['crash', 'dark', 'rollback', 'fine'] as const;

describe('simulator faults trip the health gate signals (real server, simulated SDK devices over MQTT)', () => {
  let t: TestApp;
  let dir: string;
  let api: FleetApi;
  let fleet: Fleet;
  const ids: Record<(typeof CASES)[number], string[]> = { crash: [], dark: [], rollback: [], fine: [] };

  beforeAll(async () => {
    dir = scratchDir('edgefleet-fleet-faults-');
    t = await TestApp.start({ FLEET_DATA_DIR: dir, ...FAST_ROLLOUTS }, { broker: true });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    api = new FleetApi(t.app.getHttpAdapter().getInstance().listeningOrigin, t.adminToken);
    const setup = await prepareFleet(api, new CredentialsStore(join(dir, 'sim', 'credentials.json')), 'faultcam', PER_CASE * CASES.length, () => undefined);
    CASES.forEach((name, i) => (ids[name] = setup.logins.slice(i * PER_CASE, (i + 1) * PER_CASE).map((login) => login.id)));
    fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: t.broker.mqtt,
      logins: setup.logins,
      firmware: '1.0.0',
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: 1_000,
      crashLoop: { share: 1, version: '2.0.0' },
      crashLoopUptime: { min: 300, max: 500 },
      dark: { share: 1, version: '3.0.0' },
      rollback: { share: 1, version: '4.0.0' },
    });
    await fleet.start();
    await waitFor(() => api.request<{ items: unknown[] }>('GET', '/api/v1/devices?type=faultcam&status=online&firmware=1.0.0&limit=100'), (page) => page.items.length === PER_CASE * CASES.length, 20_000);
  });
  afterAll(async () => {
    await fleet?.stop();
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function rollOut(version: string, deviceIds: string[], signals: Record<string, unknown>, bakeSeconds = 30): Promise<string> {
    const image = join(dir, `firmware-${version}.bin`);
    await writeFile(image, randomBytes(4 * 1024));
    const artifact = await api.uploadArtifact(image, { name: 'fault firmware', version, deviceTypes: ['faultcam'] });
    const health = { bakeSeconds, checks: [], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'pause', signals };
    const created = await api.createRollout({ name: `to ${version}`, type: 'firmware', artifactId: artifact.id, target: { deviceIds }, strategy: { waves: [50, 100], maxInFlight: 10, health } });
    return created.id;
  }

  const settled = (id: string) => waitFor(() => api.request<RolloutView>('GET', `/api/v1/rollouts/${id}`), (r) => r.state !== 'running', 30_000);

  it('--crash-loop-*: devices reconnecting again and again after the update trip reconnectLoop; wave 2 never starts', async () => {
    const id = await rollOut('2.0.0', ids.crash, { reconnectLoop: { maxReconnects: 2, withinSeconds: 60 } });
    const rollout = await settled(id);
    expect(rollout).toMatchObject({ state: 'paused', currentWave: 0, reason: expect.stringMatching(/reconnectLoop failed on [12] device/) });
    expect(rollout.waves[1].counts.queued).toBe(2);
    expect(fleet.stats().faults.crashLoop).toBe(2);
  }, 60_000);

  it('--dark-*: devices going offline after the update trip wentDark', async () => {
    const id = await rollOut('3.0.0', ids.dark, { wentDark: { afterSeconds: 1 } });
    const rollout = await settled(id);
    expect(rollout).toMatchObject({ state: 'paused', currentWave: 0, reason: expect.stringMatching(/wentDark failed on [12] device/) });
    expect(rollout.waves[1].counts.queued).toBe(2);
    expect(fleet.stats().faults.dark).toBe(2);
  }, 60_000);

  it('--rollback-*: devices reporting their old version again trip versionRegression', async () => {
    const id = await rollOut('4.0.0', ids.rollback, { versionRegression: {} });
    const rollout = await settled(id);
    expect(rollout).toMatchObject({ state: 'paused', currentWave: 0, reason: expect.stringMatching(/versionRegression failed on [12] device/) });
    expect(fleet.stats().faults.rollback).toBe(2);
    const devices = await api.request<{ items: Array<{ firmwareVersion: string }> }>('GET', `/api/v1/devices?type=faultcam&firmware=1.0.0&limit=100`);
    expect(devices.items.length).toBeGreaterThanOrEqual(PER_CASE + 2);
  }, 60_000);

  it('devices on a version without faults pass every signal: the reboot the install asked for is no reconnect', async () => {
    const id = await rollOut('5.0.0', ids.fine, { reconnectLoop: { maxReconnects: 0, withinSeconds: 60 }, wentDark: { afterSeconds: 5 }, versionRegression: {} }, 2);
    const rollout = await waitFor(() => api.request<RolloutView>('GET', `/api/v1/rollouts/${id}`), (r) => r.state !== 'running', 30_000);
    expect(rollout.state).toBe('completed');
  }, 60_000);
});
