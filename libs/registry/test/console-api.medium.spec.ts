import { TestApp } from '../../../test/support/test-app';

/** The API additions the operator console reads: totals, fleet summary, online series, groups by name, roles. */
describe('fleet overview and group API (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    const devices = Array.from({ length: 30 }, (_, i) => ({ id: `o-${String(i).padStart(2, '0')}`, type: i < 20 ? 'cam' : 'gw', tags: { site: i % 2 ? 'syd' : 'mel' } }));
    expect((await t.request('POST', '/api/v1/devices/batch', { devices })).status).toBe(201);
  });
  afterAll(() => t.stop());

  const listed = async (query: string) => {
    const items: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.request('GET', `/api/v1/devices?limit=7&${query}${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...page.body.items.map((d: { id: string }) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  };

  it.each(['', 'type=cam', 'tag=site:syd', 'type=gw&tag=site:mel', 'q=o-1', 'status=online'])('the count of "%s" equals the pages walked', async (query) => {
    const count = await t.request('GET', `/api/v1/devices/count?${query}`);
    expect(count.status).toBe(200);
    expect(count.body.total).toBe((await listed(query)).length);
  });

  it('refuses a bad count filter with 400 naming it, and paging parameters are not count filters', async () => {
    const bad = await t.request('GET', '/api/v1/devices/count?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('status');
    expect((await t.request('GET', '/api/v1/devices/count?limit=5')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/devices/count', undefined, null)).status).toBe(401);
  });

  it('summarises the fleet per status, type and firmware', async () => {
    const summary = await t.request('GET', '/api/v1/fleet/summary');
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual({
      total: 30,
      online: 0,
      offline: 30,
      offlineOver24h: 30,
      byType: [{ type: 'cam', count: 20 }, { type: 'gw', count: 10 }],
      byFirmware: [{ firmware: null, count: 30 }],
    });
  });

  it('keeps an online-over-time series', async () => {
    const history = await t.request('GET', '/api/v1/fleet/online-history');
    expect(history.status).toBe(200);
    expect(history.body.intervalSeconds).toBe(60);
    expect(history.body.points.at(-1)).toEqual({ at: expect.any(String), online: 0, total: 30 });
  });

  it('tells a token its role', async () => {
    const viewer = await t.tokenFor('viewer');
    expect((await t.request('GET', '/api/v1/me', undefined, viewer)).body).toEqual({ id: expect.any(String), name: 'test viewer', role: 'viewer' });
    expect((await t.request('GET', '/api/v1/me', undefined, 'nope')).status).toBe(401);
  });

  it('static group: many devices in one call, unknown ids listed, member count, filter by name, rename', async () => {
    const group = (await t.request('POST', '/api/v1/groups', { name: 'pilot' })).body;
    expect(group.memberCount).toBe(0);
    const add = await t.request('POST', `/api/v1/groups/${group.id}/devices`, { deviceIds: ['o-01', 'o-02', 'o-03', 'ghost', 'o-01'] });
    expect(add.status).toBe(200);
    expect(add.body).toEqual({ added: 3, unknown: ['ghost'] });
    expect((await t.request('POST', `/api/v1/groups/${group.id}/devices`, { deviceIds: ['o-01'] })).body).toEqual({ added: 0, unknown: [] });
    expect((await t.request('POST', `/api/v1/groups/${group.id}/devices`, { deviceIds: ['a/b'] })).status).toBe(400);
    expect((await t.request('GET', `/api/v1/groups/${group.id}`)).body.memberCount).toBe(3);
    expect(await listed('group=pilot')).toEqual(['o-01', 'o-02', 'o-03']);
    const renamed = await t.request('PATCH', `/api/v1/groups/${group.id}`, { name: 'pilot 2' });
    expect(renamed.body).toMatchObject({ name: 'pilot 2', memberCount: 3 });
    expect((await t.request('GET', '/api/v1/devices/count?group=pilot%202')).body.total).toBe(3);
    expect((await t.request('GET', '/api/v1/devices/count?group=pilot')).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/groups/${group.id}`, { selector: { type: 'cam' } })).status).toBe(409);
  });

  it('dynamic group: selector edited, member count follows, bulk add refused', async () => {
    const group = (await t.request('POST', '/api/v1/groups', { name: 'gws', selector: { type: 'gw' } })).body;
    expect(group.memberCount).toBe(10);
    const edited = await t.request('PATCH', `/api/v1/groups/${group.id}`, { selector: { type: 'gw', tag: ['site:syd'] } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ selector: { type: 'gw', tag: ['site:syd'] }, memberCount: 5 });
    expect((await t.request('PATCH', `/api/v1/groups/${group.id}`, { selector: { tag: ['bad'] } })).status).toBe(400);
    expect((await t.request('POST', `/api/v1/groups/${group.id}/devices`, { deviceIds: ['o-01'] })).status).toBe(409);
    const viewer = await t.tokenFor('viewer');
    expect((await t.request('PATCH', `/api/v1/groups/${group.id}`, { name: 'x' }, viewer)).status).toBe(403);
  });

  it('filters the audit log by time', async () => {
    const all = (await t.request('GET', '/api/v1/audit?limit=1000')).body.items as { at: string }[];
    const last = all[0].at;
    const since = (await t.request('GET', `/api/v1/audit?limit=1000&since=${encodeURIComponent(last)}`)).body.items as { at: string }[];
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((e) => e.at >= last)).toBe(true);
    const until = (await t.request('GET', `/api/v1/audit?limit=1000&until=${encodeURIComponent(last)}`)).body.items as { at: string }[];
    expect(until.length + since.length).toBe(all.length);
    expect((await t.request('GET', '/api/v1/audit?since=yesterday')).status).toBe(400);
  });
});
