import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { sleep, waitFor } from '../../../test/support/mqtt-device';
import { FAST_ROLLOUTS, createRollout, firmwareRollout, uploadFirmware } from './support/rollout-fleet';

const STREAMS = 12;

describe('rollout event streams: capped, and fed by one poll per rollout (real Postgres)', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await TestApp.start(
        { ...FAST_ROLLOUTS, FLEET_DATA_DIR: scratchDir('edgefleet-rollout-streams-'), SSE_MAX_STREAMS: String(STREAMS + 1), SSE_MAX_STREAMS_PER_TOKEN: String(STREAMS) },
        { broker: true },
      )),
  );
  afterAll(() => t.stop());

  const metrics = async () => (await t.request('GET', '/metrics', undefined, null)).body as string;
  const read = async (pattern: RegExp) => Number(pattern.exec(await metrics())?.[1]);
  const open = (id: string, token: string) =>
    t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/api/v1/rollouts/${id}/events`, headers: { authorization: `Bearer ${token}` } });

  it('refuses streams past the per-token and total caps with 429, and reads a watched rollout once a second however many watch it', async () => {
    const artifact = await uploadFirmware(t, '2.0.0');
    const offline = await Promise.all(['sse-1', 'sse-2'].map((id) => t.registerDevice(id)));
    // Its devices are offline: it stays running, so its streams stay open.
    const rollout = await createRollout(t, firmwareRollout('streams', artifact.id, offline.map((d) => d.id)));

    const streams = Array.from({ length: STREAMS }, () => open(rollout.id, t.adminToken));
    await waitFor(() => read(/^edgefleet_sse_streams (\d+)$/m), (n) => n === STREAMS);

    const perToken = await open(rollout.id, t.adminToken);
    expect(perToken.statusCode).toBe(429);
    expect(perToken.headers['retry-after']).toBe('5');
    expect(JSON.parse(perToken.body).message).toContain('SSE_MAX_STREAMS_PER_TOKEN');
    const operator = open(rollout.id, await t.tokenFor('operator'));
    await waitFor(() => read(/^edgefleet_sse_streams (\d+)$/m), (n) => n === STREAMS + 1);
    const total = await open(rollout.id, await t.tokenFor('viewer'));
    expect(total.statusCode).toBe(429);
    expect(JSON.parse(total.body).message).toContain('SSE_MAX_STREAMS');
    expect(await read(/edgefleet_sse_streams_refused_total\{reason="per-token"\} (\d+)/)).toBe(1);
    expect(await read(/edgefleet_sse_streams_refused_total\{reason="total"\} (\d+)/)).toBe(1);

    // 13 streams of one rollout over 3 s: one read a second (a poll per stream would be ~39).
    const before = await read(/^edgefleet_rollout_event_polls_total (\d+)$/m);
    await sleep(3_000);
    const polls = (await read(/^edgefleet_rollout_event_polls_total (\d+)$/m)) - before;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThanOrEqual(4);

    expect((await t.request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
    const ended = await Promise.all([...streams, operator]);
    for (const response of ended) {
      const events = response.body.split('\n\n').filter((block) => block.trim()).map((block) => block.split('\n')[0]);
      expect(events[0]).toBe('event: progress');
      expect(events.at(-1)).toBe('event: end');
      expect(response.body).toContain('"state":"cancelled"');
    }
    expect(await read(/^edgefleet_sse_streams (\d+)$/m)).toBe(0);
  });
});
