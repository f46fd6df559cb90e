import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import type { JobDevice } from './support/job-device';
import { FAST_ROLLOUTS, closeAll, connectFleet, createRollout, firmwareRollout, ids, rolloutJobs, uploadFirmware, waitForFirmware, waitForRollout } from './support/rollout-fleet';

describe('pause, resume, cancel, audit and progress events (real Postgres, real broker, devices over MQTT)', () => {
  let t: TestApp;
  let artifact: { id: string; version: string };
  const devices: JobDevice[] = [];
  const fleet = async (prefix: string, count: number, options: Parameters<typeof connectFleet>[2]) => {
    const connected = await connectFleet(t, ids(prefix, count), options);
    devices.push(...connected);
    await waitForFirmware(t, connected);
    return connected;
  };
  const auditActions = async (id: string) =>
    (await t.request('GET', `/api/v1/audit?resourceType=rollout&resourceId=${id}`)).body.items.map((e: { action: string; actorName: string }) => [e.action, e.actorName]);
  beforeAll(async () => {
    t = await TestApp.start({ ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-controls-') }, { broker: true });
    artifact = await uploadFirmware(t, '2.0.0');
  });
  afterAll(async () => {
    await closeAll(devices);
    await t.stop();
  });

  it('pause lets in-flight devices finish and starts no one new; resume continues to completion', async () => {
    const cams = await fleet('pr', 4, { stepMs: 80 });
    const rollout = await createRollout(t, firmwareRollout('pause', artifact.id, cams.map((d) => d.id), { maxInFlight: 1 }));
    await waitFor(() => cams.filter((d) => d.documents.length), (started) => started.length === 1);
    const paused = await t.request('POST', `/api/v1/rollouts/${rollout.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.state).toBe('paused');
    // Devices claimed before the pause committed (their documents may still be on the way).
    const started = 4 - paused.body.counts.queued - paused.body.counts.pending_offline;
    expect(started).toBeGreaterThanOrEqual(1);

    const settled = await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === started);
    expect(settled).toMatchObject({ state: 'paused', counts: { queued: 4 - started } });
    await sleep(500);
    expect(cams.filter((d) => d.documents.length)).toHaveLength(started);
    expect((await t.request('GET', `/api/v1/rollouts/${rollout.id}`)).body).toMatchObject({ state: 'paused', counts: { succeeded: started, queued: 4 - started } });
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/pause`)).status).toBe(409);

    const resumed = await t.request('POST', `/api/v1/rollouts/${rollout.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('running');
    const done = await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    expect(done.counts.succeeded).toBe(4);
    expect(cams.every((d) => d.documents.length === 1)).toBe(true);
    expect(await auditActions(rollout.id)).toEqual([
      ['rollout.resume', 'test admin'],
      ['rollout.pause', 'test admin'],
      ['rollout.create', 'test admin'],
    ]);
    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/resume`)).status).toBe(409);
  });

  it('cancel ends every unfinished job and tells in-flight devices (job document cleared, notify list empty)', async () => {
    const cams = await fleet('cx', 4, { behaviour: 'silent' });
    const rollout = await createRollout(t, firmwareRollout('cancel', artifact.id, cams.map((d) => d.id), { waves: [50, 100] }));
    const running = await waitForRollout(t, rollout.id, (r) => r.counts.notified === 2);
    expect(running.counts.queued).toBe(2);
    const inFlight = await waitFor(() => cams.filter((d) => d.documents.length), (started) => started.length === 2);

    const cancelled = await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', reason: 'cancelled by test admin', counts: { cancelled: 4, notified: 0, queued: 0 } });
    expect(cancelled.body.finishedAt).not.toBeNull();
    for (const device of inFlight) {
      const jobId = device.jobIds()[0];
      await waitFor(() => device.cleared, (cleared) => cleared.includes(jobId));
      await waitFor(() => device.notifies.at(-1), (notify) => notify?.jobs.length === 0);
    }
    const jobs = await rolloutJobs(t, rollout.id);
    expect([...jobs.values()].every((job) => job.status === 'cancelled' && job.lastError === 'rollout cancelled by test admin')).toBe(true);

    // A device that installs anyway is the truth of what it runs: succeeded once its version shows
    // (CONTRACT §4's rule), and the counts say so; nothing else is sent.
    const [late, later] = inFlight;
    await late.report(late.jobIds()[0], 'succeeded');
    await sleep(300);
    expect((await rolloutJobs(t, rollout.id)).get(late.id).status).toBe('cancelled');
    await late.reportFirmware(artifact.version);
    await waitFor(() => rolloutJobs(t, rollout.id), (jobs) => jobs.get(late.id).status === 'succeeded');
    await later.reportFirmware(artifact.version);
    await later.report(later.jobIds()[0], 'succeeded');
    const truth = await waitForRollout(t, rollout.id, (r) => r.counts.succeeded === 2);
    expect(truth).toMatchObject({ state: 'cancelled', counts: { succeeded: 2, cancelled: 2 } });
    // A device never sent the job cannot claim it.
    const never = cams.find((d) => !d.documents.length)!;
    expect((await rolloutJobs(t, rollout.id)).get(never.id).status).toBe('cancelled');
    expect(cams.filter((d) => d.documents.length)).toHaveLength(2);
    expect(late.errors).toEqual([]);
    for (const action of ['cancel', 'pause', 'resume']) expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/${action}`)).status).toBe(409);
    expect(await auditActions(rollout.id)).toEqual([
      ['rollout.cancel', 'test admin'],
      ['rollout.create', 'test admin'],
    ]);
  });

  it('streams progress as server-sent events until the rollout is over', async () => {
    const cams = await fleet('ev', 3, { stepMs: 150 });
    const rollout = await createRollout(t, firmwareRollout('events', artifact.id, cams.map((d) => d.id), { maxInFlight: 1 }));
    const stream = t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/api/v1/rollouts/${rollout.id}/events`, headers: { authorization: `Bearer ${t.adminToken}` } });
    await waitForRollout(t, rollout.id, (r) => r.state === 'completed');
    const response = await stream;
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = parseEvents(response.body);
    expect(events.at(-1)).toEqual({ event: 'end', data: {} });
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0].id).toBe(rollout.id);
    expect(progress.at(-1)).toMatchObject({ state: 'completed', counts: { succeeded: 3 } });
    const succeeded = progress.map((p) => p.counts.succeeded);
    expect(succeeded).toEqual([...succeeded].sort((a, b) => a - b));
    expect(succeeded[0]).toBeLessThan(3);

    // A finished rollout: its last state, then the end.
    const again = await t.request('GET', `/api/v1/rollouts/${rollout.id}/events`);
    expect(parseEvents(again.body).map((e) => e.event)).toEqual(['progress', 'end']);
    expect((await t.request('GET', '/api/v1/rollouts/0190a2f0-0000-7000-8000-000000000000/events')).status).toBe(404);
  });
});

function parseEvents(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { event: field('event'), data: JSON.parse(field('data')) };
    });
}
