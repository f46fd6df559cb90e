import { createHash } from 'node:crypto';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import { getBytes } from '../../artifacts/test/support/upload';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('artifact access while a firmware job is live (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  const devices: JobDevice[] = [];
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-access-') }, { broker: true });
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('lets only a device with a live job fetch the artifact (HTTP link or MQTT chunks), and keeps the artifact until the rollout is over', async () => {
    const [cam, bystander] = await connectFleet(t, [{ id: 'ac-cam' }, { id: 'ac-bystander' }], { behaviour: 'silent' });
    devices.push(cam, bystander);
    await waitForFirmware(t, [cam, bystander]);
    const artifact = await uploadFirmware(t, '2.0.0');
    const rollout = await createRollout(t, firmwareRollout('access', artifact.id, [cam.id], { deviceTimeoutSeconds: 30 }));
    await waitFor(() => cam.documents, (docs) => docs.length === 1);
    const { document, jobId } = cam.documents[0];
    if (document.type !== 'firmware') throw new Error('expected a firmware job');

    // The job's link needs no other credentials and serves exactly the signed bytes.
    const link = new URL(document.artifact.url);
    const download = await getBytes(t, link.pathname + link.search, {}, null);
    expect(download.status).toBe(200);
    expect(download.bytes.length).toBe(document.artifact.size);
    expect(createHash('sha256').update(download.bytes).digest('hex')).toBe(document.artifact.sha256);

    const chunk = await cam.fetchChunk(artifact.id, 100, 50);
    expect(chunk).toEqual({ offset: 100, bytes: download.bytes.subarray(100, 150) });
    expect(await bystander.fetchChunk(artifact.id, 0, 10)).toEqual({ error: expect.stringContaining('no job for artifact') });

    const refused = await t.request('DELETE', `/api/v1/artifacts/${artifact.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("'access'");

    await cam.report(jobId, 'accepted');
    await cam.reportFirmware('2.0.0');
    await cam.report(jobId, 'succeeded');
    await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    // The chunk service reuses a fetch decision for up to 5 s (artifact-chunk.service.ts LOOKUP_TTL_MS).
    const after = await waitFor(async () => (await sleep(400), cam.fetchChunk(artifact.id, 0, 10)), (answer) => 'error' in answer, 8_000);
    expect(after).toEqual({ error: expect.stringContaining('no job for artifact') });
    expect((await t.request('DELETE', `/api/v1/artifacts/${artifact.id}`)).status).toBe(204);
  });
});
