import { TestApp } from '../../../test/support/test-app';

describe('groups API (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    const devices = Array.from({ length: 12 }, (_, i) => ({ id: `g-${i}`, type: i < 6 ? 'cam' : 'gw', tags: { site: i % 3 === 0 ? 'syd' : 'mel' } }));
    expect((await t.request('POST', '/api/v1/devices/batch', { devices })).status).toBe(201);
  });
  afterAll(() => t.stop());

  const ids = async (query: string) => (await t.request('GET', `/api/v1/devices?${query}`)).body.items.map((d: { id: string }) => d.id);

  it('static groups: add and remove members, idempotently', async () => {
    const group = await t.request('POST', '/api/v1/groups', { name: 'pilot' });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ name: 'pilot', dynamic: false, selector: null });
    const id = group.body.id;
    expect((await t.request('PUT', `/api/v1/groups/${id}/devices/g-1`)).status).toBe(204);
    expect((await t.request('PUT', `/api/v1/groups/${id}/devices/g-1`)).status).toBe(204);
    expect((await t.request('PUT', `/api/v1/groups/${id}/devices/g-7`)).status).toBe(204);
    expect(await ids(`group=${id}`)).toEqual(['g-1', 'g-7']);
    expect(await ids(`group=${id}&type=gw`)).toEqual(['g-7']);
    expect((await t.request('DELETE', `/api/v1/groups/${id}/devices/g-1`)).status).toBe(204);
    expect(await ids(`group=${id}`)).toEqual(['g-7']);
    expect((await t.request('PUT', `/api/v1/groups/${id}/devices/missing`)).status).toBe(404);
  });

  it('dynamic groups: members are whatever matches the selector', async () => {
    const group = await t.request('POST', '/api/v1/groups', { name: 'syd cams', selector: { type: 'cam', tag: ['site:syd'] } });
    expect(group.status).toBe(201);
    expect(group.body.dynamic).toBe(true);
    expect(await ids(`group=${group.body.id}`)).toEqual(['g-0', 'g-3']);
    const put = await t.request('PUT', `/api/v1/groups/${group.body.id}/devices/g-1`);
    expect(put.status).toBe(409);
  });

  it('refuses duplicate names and bad selectors', async () => {
    expect((await t.request('POST', '/api/v1/groups', { name: 'pilot' })).status).toBe(409);
    const bad = await t.request('POST', '/api/v1/groups', { name: 'x', selector: { tag: ['nocolon'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('selector.tag');
    expect((await t.request('POST', '/api/v1/groups', { name: 'y', selector: { shape: 'round' } })).status).toBe(400);
  });

  it('lists, reads and deletes groups; an unknown group is 404', async () => {
    const list = await t.request('GET', '/api/v1/groups');
    expect(list.body.items.map((g: { name: string }) => g.name).sort()).toEqual(['pilot', 'syd cams']);
    const id = list.body.items[0].id;
    expect((await t.request('GET', `/api/v1/groups/${id}`)).status).toBe(200);
    expect((await t.request('DELETE', `/api/v1/groups/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/groups/${id}`)).status).toBe(404);
    expect((await t.request('GET', '/api/v1/devices?group=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
