import { rmSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { collect, connectDevice, waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';
import { Operator } from './support/operator';

/** A device by hand: it reports its firmware, and tells when it got a job document. */
async function device(operator: Operator, mqtt: string, id: string): Promise<{ client: MqttClient; jobIds: () => string[] }> {
  const passwords = await operator.registerDevices([id]);
  const client = await connectDevice(mqtt, { id, password: passwords.get(id)! });
  const received = collect(client);
  await client.subscribeAsync(`devices/${id}/jobs/+`, { qos: 1 });
  await client.publishAsync(`devices/${id}/state/reported`, JSON.stringify({ firmware: { version: '1.0.0' } }), { qos: 1 });
  const jobIds = () =>
    received.filter((m) => m.payload && /\/jobs\/[0-9a-f-]{36}$/.test(m.topic)).map((m) => m.topic.split('/').pop()!);
  return { client, jobIds };
}

describe('rollout records tell the truth (real server process)', () => {
  const dir = scratchDir('edgefleet-records-');
  let server: ServerProcess;
  let operator: Operator;
  let mqtt: string;
  beforeAll(async () => {
    server = ServerProcess.spawn({ FLEET_DATA_DIR: dir, ROLLOUT_TICK_MS: '100' });
    const ready = await server.ready();
    mqtt = ready.mqtt!;
    operator = new Operator(ready.http, /EDGEFLEET_ADMIN_TOKEN (\S+)/.exec(server.stdout)![1]);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const audit = async (id: string) =>
    (await operator.request('GET', `/api/v1/audit?resourceType=rollout&resourceId=${id}`)).body.items.map((e: { action: string; actorName: string }) => [e.action, e.actorName]);

  it('a device that installs the job after the rollout was cancelled is recorded as succeeded, and counted', async () => {
    const cam = await device(operator, mqtt, 'truth-1');
    const artifact = await operator.uploadFirmware('2.0.0');
    const rollout = await operator.createRollout({ name: 'cancelled midway', type: 'firmware', artifactId: artifact.id, target: { deviceIds: ['truth-1'] }, strategy: { waves: [100] } });
    const [jobId] = await waitFor(cam.jobIds, (ids) => ids.length === 1);
    expect((await operator.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).body).toMatchObject({ state: 'cancelled', counts: { cancelled: 1 } });

    await cam.client.publishAsync('devices/truth-1/state/reported', JSON.stringify({ firmware: { version: '2.0.0' } }), { qos: 1 });
    await cam.client.publishAsync(`devices/truth-1/jobs/${jobId}/status`, JSON.stringify({ status: 'succeeded' }), { qos: 1 });
    const settled = await operator.waitForRollout(rollout.id, (r) => r.counts.succeeded === 1, 10_000);
    expect(settled).toMatchObject({ state: 'cancelled', counts: { succeeded: 1, cancelled: 0 } });
    expect((await operator.rolloutDevices(rollout.id)).map((d) => d.status)).toEqual(['succeeded']);
    await cam.client.endAsync();
  });

  it('the automatic abort over the failure threshold is in the audit log, by the system actor', async () => {
    const cam = await device(operator, mqtt, 'abort-1');
    const artifact = await operator.uploadFirmware('3.0.0');
    const rollout = await operator.createRollout({
      name: 'aborts itself',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ['abort-1'] },
      strategy: { waves: [100], failureThreshold: { percent: 0, minSamples: 1 }, retries: 0 },
    });
    const [jobId] = await waitFor(cam.jobIds, (ids) => ids.length === 1);
    await cam.client.publishAsync(`devices/abort-1/jobs/${jobId}/status`, JSON.stringify({ status: 'failed', reason: 'flash error' }), { qos: 1 });
    const aborted = await operator.waitForRollout(rollout.id, (r) => r.state === 'aborted', 10_000);
    expect(await audit(rollout.id)).toEqual([
      ['rollout.abort', 'system'],
      ['rollout.create', expect.any(String)],
    ]);
    const [entry] = (await operator.request('GET', `/api/v1/audit?resourceType=rollout&resourceId=${rollout.id}`)).body.items;
    expect(entry.after).toEqual({ state: 'aborted', reason: aborted.reason });
    await cam.client.endAsync();
  });
});
