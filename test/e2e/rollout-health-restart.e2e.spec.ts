import { randomBytes } from 'node:crypto';
import { Harness } from './support/restart-harness';
import { Operator } from './support/operator';

/**
 * Durability of a revert: the server is killed with SIGKILL while a health gate's revert is in
 * progress and started again on the same database; the revert resumes, every touched device ends
 * on its own previous version, and no device is sent a job again after its success was acknowledged.
 */
describe('health gate revert across kill -9 of the server', () => {
  const token = `efk_e2e_${randomBytes(16).toString('hex')}`;
  let harness: Harness;
  beforeEach(async () => (harness = await Harness.create(token)));
  afterEach(() => harness.close());

  it('resumes the revert after the restart and sends nothing twice', async () => {
    const first = await harness.start();
    const operator = new Operator(first.http, token);
    const ids = Array.from({ length: 8 }, (_, i) => `hr-${i}`);
    // Every device crash-loops its app on 2.0.0.
    const devices = await harness.connectDevices(operator, ids, first.mqtt, { stepMs: 200, health: (firmware) => ({ health: { app: firmware === '2.0.0' ? 'crash' : 'ok' } }) });
    const [good, bad] = [await operator.uploadFirmware('1.1.0'), await operator.uploadFirmware('2.0.0')];
    const baseline = await operator.createRollout({ name: 'to 1.1', type: 'firmware', artifactId: good.id, target: { deviceIds: ids }, strategy: { maxInFlight: 8 } });
    await operator.waitForRollout(baseline.id, (r) => r.state === 'completed');

    const rollout = await operator.createRollout({
      name: 'bad 2.0',
      type: 'firmware',
      artifactId: bad.id,
      target: { deviceIds: ids },
      strategy: { waves: [50, 100], maxInFlight: 1, deviceTimeoutSeconds: 120, health: { bakeSeconds: 1, checks: [{ path: 'health.app', op: 'eq', value: 'ok' }], minEvaluated: 3, maxUnhealthyPercent: 10, action: 'revert' } },
    });
    await operator.waitForRollout(rollout.id, (r) => r.state === 'reverting' && r.revertCounts.succeeded >= 1 && r.revertCounts.succeeded < r.counts.succeeded, 30_000);
    await harness.kill();

    expect(await harness.start()).toEqual(first);
    const done = await operator.waitForRollout(rollout.id, (r) => r.state === 'reverted', 60_000);
    expect(done.reason).toMatch(/health\.app eq "ok" failed/);
    expect(done.revertCounts.succeeded).toBe(done.counts.succeeded);
    expect(done.counts.succeeded).toBeGreaterThanOrEqual(3);
    expect(done.waves[1].counts.cancelled).toBe(4);

    const installed = (await operator.rolloutDevices(rollout.id)).filter((job) => job.status === 'succeeded').map((job) => job.deviceId);
    for (const device of devices) {
      const versions = [...new Map(device.documents.filter((d) => d.document.rolloutId === rollout.id).map((d) => [d.jobId, d.document.type === 'firmware' ? d.document.artifact.version : '?'])).values()];
      // Touched devices: the 2.0.0 job, then one revert job to 1.1.0; the others: nothing from this rollout.
      expect({ id: device.id, versions }).toEqual({ id: device.id, versions: installed.includes(device.id) ? ['2.0.0', '1.1.0'] : [] });
      expect({ id: device.id, firmware: device.firmware }).toEqual({ id: device.id, firmware: '1.1.0' });
      expect({ id: device.id, afterSuccess: device.documentsAfterSuccess() }).toEqual({ id: device.id, afterSuccess: [] });
    }
  });
});
