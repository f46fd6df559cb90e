import { TestApp } from '../../../test/support/test-app';

describe('audit log (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.stop());

  it('records who changed what, with before and after, newest first', async () => {
    await t.request('POST', '/api/v1/devices', { id: 'a-1', type: 'cam', name: 'one' });
    await t.request('PATCH', '/api/v1/devices/a-1', { name: 'two' });
    await t.request('DELETE', '/api/v1/devices/a-1');
    const res = await t.request('GET', '/api/v1/audit?resourceType=device&resourceId=a-1');
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(['device.decommission', 'device.update', 'device.create']);
    const update = res.body.items[1];
    expect(update).toMatchObject({ actorName: 'test admin', before: { name: 'one' }, after: { name: 'two' } });
    expect(update.actorId).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toMatch(/password|credentialHash/);
  });

  it('writes no audit entry for a change that failed', async () => {
    await t.request('POST', '/api/v1/devices', { id: 'a-1', type: 'cam', colour: 'x' });
    const res = await t.request('GET', '/api/v1/audit?resourceId=a-1&action=device.create');
    expect(res.body.items).toHaveLength(1);
  });

  it('pages with a cursor', async () => {
    const first = await t.request('GET', '/api/v1/audit?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await t.request('GET', `/api/v1/audit?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id < first.body.items[1].id || Number(second.body.items[0].id) < Number(first.body.items[1].id)).toBe(true);
    expect((await t.request('GET', '/api/v1/audit?cursor=zzz')).status).toBe(400);
  });
});
