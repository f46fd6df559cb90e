import { hashSecret } from '@edgefleet/common';
import { PrismaService } from '@edgefleet/database';
import { DeviceRepository, MAX_BATCH_DEVICES } from '@edgefleet/registry';
import { TestApp } from '../../../test/support/test-app';

describe('devices API (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.stop());

  const storedHash = async (id: string) => (await t.app.get(DeviceRepository).findCredentials([id])).get(id)?.hash ?? null;

  const count = async (query = '') => {
    let total = 0;
    let cursor: string | null = null;
    do {
      const page: any = await t.request('GET', `/api/v1/devices?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`);
      total += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    return total;
  };

  it('registers a device and shows the password once, stored only hashed', async () => {
    const res = await t.request('POST', '/api/v1/devices', { id: 'cam-1', name: 'Lobby', type: 'cam', tags: { site: 'syd' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'cam-1', name: 'Lobby', type: 'cam', tags: { site: 'syd' }, status: 'offline' });
    expect(res.body.credentials.username).toBe('cam-1');
    expect(res.body.credentials.password.length).toBeGreaterThanOrEqual(40);
    const get = await t.request('GET', '/api/v1/devices/cam-1');
    expect(get.status).toBe(200);
    expect(JSON.stringify(get.body)).not.toContain(res.body.credentials.password);
    const stored = await storedHash('cam-1');
    expect(stored).toBe(hashSecret(res.body.credentials.password));
  });

  it('generates an id when none is given and accepts tags as a key:value list', async () => {
    const res = await t.request('POST', '/api/v1/devices', { type: 'gw', tags: ['site:mel', 'rack:4'] });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.tags).toEqual({ site: 'mel', rack: '4' });
  });

  it('refuses a duplicate id with 409 and changes nothing', async () => {
    const res = await t.request('POST', '/api/v1/devices', { id: 'cam-1', type: 'other' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('cam-1') });
    expect((await t.request('GET', '/api/v1/devices/cam-1')).body.type).toBe('cam');
  });

  it.each([
    [{ type: 'cam', colour: 'red' }, 'colour'],
    [{ type: 7 }, 'type'],
    [{}, 'type'],
    [{ id: 'a/b', type: 'cam' }, 'id'],
    [{ type: 'cam', tags: { 'bad key': 'x' } }, 'tags'],
    [{ type: 'cam', tags: ['nocolon'] }, 'tags'],
    [{ type: 'cam', name: '' }, 'name'],
  ])('rejects %p with 400 naming %s', async (body, field) => {
    const before = await count();
    const res = await t.request('POST', '/api/v1/devices', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    expect(res.body.message).toContain(field);
    expect(await count()).toBe(before);
  });

  it('batch-registers all or nothing', async () => {
    const devices = Array.from({ length: 50 }, (_, i) => ({ id: `b-${String(i).padStart(3, '0')}`, type: 'sensor', tags: { site: i % 2 ? 'syd' : 'mel' } }));
    const ok = await t.request('POST', '/api/v1/devices/batch', { devices });
    expect(ok.status).toBe(201);
    expect(ok.body.devices).toHaveLength(50);
    expect(ok.body.devices[7]).toMatchObject({ id: 'b-007', credentials: { username: 'b-007', password: expect.any(String) } });
    const { credentials, ...shown } = ok.body.devices[7];
    expect((await t.request('GET', '/api/v1/devices/b-007')).body).toEqual(shown);
    expect(await storedHash('b-007')).toBe(hashSecret(credentials.password));

    const before = await count();
    const clash = await t.request('POST', '/api/v1/devices/batch', { devices: [{ id: 'new-1', type: 'x' }, { id: 'b-003', type: 'x' }] });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toContain('b-003');
    const dup = await t.request('POST', '/api/v1/devices/batch', { devices: [{ id: 'd-1', type: 'x' }, { id: 'd-1', type: 'x' }] });
    expect(dup.status).toBe(400);
    const badOne = await t.request('POST', '/api/v1/devices/batch', { devices: [{ id: 'ok-1', type: 'x' }, { id: 'ok-2' }] });
    expect(badOne.status).toBe(400);
    expect(badOne.body.message).toContain('devices.1.type');
    expect(await count()).toBe(before);
    expect((await t.request('GET', '/api/v1/devices/new-1')).status).toBe(404);
  });

  it('refuses an oversized or empty batch', async () => {
    const devices = Array.from({ length: MAX_BATCH_DEVICES + 1 }, (_, i) => ({ id: `o-${i}`, type: 'x' }));
    const res = await t.request('POST', '/api/v1/devices/batch', { devices });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('devices');
    expect((await t.request('POST', '/api/v1/devices/batch', { devices: [] })).status).toBe(400);
    expect((await t.request('GET', '/api/v1/devices/o-1')).status).toBe(404);
  });

  it('lists with filters and cursor pagination, every device exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.request('GET', `/api/v1/devices?type=sensor&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(7);
      seen.push(...res.body.items.map((d: { id: string }) => d.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    expect([...seen].sort()).toEqual(seen);

    expect(await count('&type=sensor&tag=site:syd')).toBe(25);
    expect(await count('&tag=site:syd&tag=rack:4')).toBe(0);
    expect(await count('&status=offline&type=sensor')).toBe(50);
    expect(await count('&status=online')).toBe(0);
    expect(await count('&q=LOBBY')).toBe(1);
    expect(await count('&q=b-04')).toBe(10);
  });

  it('shows a device the same in the list (from its stored registry JSON) as in GET /devices/{id}, after every kind of change', async () => {
    const same = async (id: string) => {
      const listed = (await t.request('GET', `/api/v1/devices?q=${id}`)).body.items;
      const single = (await t.request('GET', `/api/v1/devices/${id}`)).body;
      expect(listed).toEqual([single]);
      return single;
    };
    const registered = await same('b-008');
    await t.request('PATCH', '/api/v1/devices/b-007', { name: 'seven "7"', tags: { site: 'syd', 'rack.no': 'a:b', note: 'é, \\ and \n' } });
    const edited = await same('b-007');
    expect(edited).toMatchObject({ name: 'seven "7"', tags: { note: 'é, \\ and \n' } });
    expect(Date.parse(edited.updatedAt)).toBeGreaterThan(Date.parse(registered.updatedAt));

    // Presence and firmware change without an operator; a rotation is not an edit of the device.
    const seenAt = new Date();
    await t.app.get(DeviceRepository).applyPresence([{ deviceId: 'b-007', online: true, at: seenAt }]);
    await t.app.get(PrismaService).$executeRaw`UPDATE devices SET firmware_version = ${'2.0 "beta"\\'} WHERE id = 'b-007'`;
    expect((await t.request('POST', '/api/v1/devices/b-007/credentials/rotate')).status).toBe(200);
    expect(await same('b-007')).toEqual({ ...edited, status: 'online', lastSeenAt: seenAt.toISOString(), firmwareVersion: '2.0 "beta"\\' });
  });

  it.each(['cursor=garbage', 'limit=0', 'limit=1001', 'limit=abc', 'status=asleep', 'tag=nocolon', 'colour=red', 'group='])(
    'rejects the bad query %s with 400',
    async (query) => {
      const res = await t.request('GET', `/api/v1/devices?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(query.split('=')[0]);
    },
  );

  it('updates name and tags, and 404s an unknown device', async () => {
    const res = await t.request('PATCH', '/api/v1/devices/cam-1', { name: null, tags: { site: 'bne' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: null, tags: { site: 'bne' } });
    expect((await t.request('PATCH', '/api/v1/devices/nope', { name: 'x' })).status).toBe(404);
    expect((await t.request('PATCH', '/api/v1/devices/cam-1', { type: 'changed' })).status).toBe(400);
  });

  it('rotates credentials: a new password, the old hash gone', async () => {
    const before = await storedHash('cam-1');
    const res = await t.request('POST', '/api/v1/devices/cam-1/credentials/rotate');
    expect(res.status).toBe(200);
    expect(res.body.username).toBe('cam-1');
    const after = await storedHash('cam-1');
    expect(after).toBe(hashSecret(res.body.password));
    expect(after).not.toBe(before);
    expect((await t.request('POST', '/api/v1/devices/nope/credentials/rotate')).status).toBe(404);
  });

  it('decommissions: the device and its credential are gone', async () => {
    expect((await t.request('DELETE', '/api/v1/devices/cam-1')).status).toBe(204);
    expect((await t.request('GET', '/api/v1/devices/cam-1')).status).toBe(404);
    expect(await storedHash('cam-1')).toBeNull();
    expect((await t.request('DELETE', '/api/v1/devices/cam-1')).status).toBe(404);
  });
});
