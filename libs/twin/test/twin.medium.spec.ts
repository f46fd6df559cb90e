import type { MqttClient } from 'mqtt';
import { TwinEvents } from '@edgefleet/twin';
import { ReportedStateIngest } from '../src/reported-state-ingest';
import { TwinRepository } from '../src/twin.repository';
import { TestApp } from '../../../test/support/test-app';
import { type DeviceLogin, collect, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';

const MAX_BYTES = 600;

describe('device twins over MQTT and the API (real Postgres, real broker, real MQTT client)', () => {
  let t: TestApp;
  const open: MqttClient[] = [];
  const firmwareEvents: Array<[string, string]> = [];
  beforeAll(async () => {
    t = await TestApp.start({ TWIN_MAX_BYTES: String(MAX_BYTES), TWIN_FLUSH_INTERVAL_MS: '30' }, { broker: true });
    t.app.get(TwinEvents).on('firmware-reported', (deviceId, version) => firmwareEvents.push([deviceId, version]));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
  });
  afterAll(() => t.stop());

  const register = (id: string): Promise<DeviceLogin> => t.registerDevice(id);
  const connect = async (login: DeviceLogin) => {
    const client = await connectDevice(t.broker.mqtt, login);
    open.push(client);
    return client;
  };
  /** A device that listens to everything under its own topic tree. */
  const listeningDevice = async (login: DeviceLogin) => {
    const client = await connect(login);
    const inbox = collect(client);
    await client.subscribeAsync(`devices/${login.id}/#`, { qos: 1 });
    return { client, inbox };
  };
  const report = (client: MqttClient, id: string, state: unknown) =>
    client.publishAsync(`devices/${id}/state/reported`, typeof state === 'string' ? state : JSON.stringify(state), { qos: 1 });
  const twinOf = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}/twin`)).body;
  const patchDesired = async (id: string, patch: unknown, headers: Record<string, string> = {}, token = t.adminToken) => {
    const response = await t.app.getHttpAdapter().getInstance().inject({
      method: 'PATCH',
      url: `/api/v1/devices/${id}/twin/desired`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json', ...headers },
      payload: typeof patch === 'string' ? patch : JSON.stringify(patch),
    });
    return { status: response.statusCode, body: JSON.parse(response.body), etag: response.headers.etag };
  };
  const on = (inbox: Array<{ topic: string; payload: string }>, topic: string) => inbox.filter((m) => m.topic === topic).map((m) => m.payload);

  it('merges reports into the reported state: null deletes, versions count changes, key times recorded', async () => {
    const login = await register('tw-merge');
    const device = await connect(login);
    const before = Date.now();
    await report(device, 'tw-merge', { temp: 20, net: { ip: '10.0.0.2', rssi: -60 }, debug: true });
    await waitFor(() => twinOf('tw-merge'), (twin) => twin.reportedVersion === 1);
    await report(device, 'tw-merge', { temp: 21, net: { rssi: null }, debug: null });
    const twin = await waitFor(() => twinOf('tw-merge'), (twin) => twin.reportedVersion === 2);
    expect(twin.reported).toEqual({ temp: 21, net: { ip: '10.0.0.2' } });
    expect(Object.keys(twin.reportedUpdatedAt).sort()).toEqual(['net', 'temp']);
    expect(new Date(twin.reportedUpdatedAt.temp).getTime()).toBeGreaterThanOrEqual(before - 5);

    // A report that changes nothing is not a new version.
    await report(device, 'tw-merge', { temp: 21 });
    await report(device, 'tw-merge', { marker: 1 });
    const after = await waitFor(() => twinOf('tw-merge'), (twin) => twin.reported.marker === 1);
    expect(after.reportedVersion).toBe(3);
    expect(after.reportedUpdatedAt.temp).toBe(twin.reportedUpdatedAt.temp);
  });

  it('coalesces a burst of reports without losing the last value or reordering them', async () => {
    const login = await register('tw-burst');
    const device = await connect(login);
    for (let n = 1; n <= 60; n++) device.publish('devices/tw-burst/state/reported', JSON.stringify({ n, [`k${n % 3}`]: n }), { qos: 0 });
    const twin = await waitFor(() => twinOf('tw-burst'), (twin) => twin.reported.n === 60, 10_000);
    expect(twin.reported).toEqual({ n: 60, k0: 60, k1: 58, k2: 59 });
    expect(twin.reportedVersion).toBe(60);
  });

  it('starts an overdue flush from the next report when its timer has not had a turn (a long run of socket reads)', async () => {
    await register('tw-kick-a');
    await register('tw-kick-b');
    const ingest = t.app.get(ReportedStateIngest);
    await ingest.report('tw-kick-a', { n: 0 });
    await ingest.report('tw-kick-b', { n: 0 });
    await ingest.flushAll();
    const writes = jest.spyOn(t.app.get(TwinRepository), 'writeReported');
    try {
      void ingest.report('tw-kick-a', { n: 1 }); // cached: merged now, flush due in 30 ms
      const until = performance.now() + 60;
      while (performance.now() < until); // the flush timer cannot run meanwhile
      expect(writes).not.toHaveBeenCalled();
      void ingest.report('tw-kick-b', { n: 1 });
      expect(writes).toHaveBeenCalledTimes(1);
      expect(writes.mock.calls[0][0].map((write) => write.deviceId).sort()).toEqual(['tw-kick-a', 'tw-kick-b']);
    } finally {
      writes.mockRestore();
    }
    await waitFor(() => twinOf('tw-kick-b'), (twin) => twin.reported.n === 1);
  });

  it('mirrors reported firmware.version into the device list and announces it once persisted', async () => {
    const login = await register('tw-fw');
    const device = await connect(login);
    await report(device, 'tw-fw', { firmware: { version: '2.1.0', channel: 'stable' } });
    await waitFor(() => firmwareEvents.filter(([id]) => id === 'tw-fw'), (events) => events.length === 1);
    expect((await t.request('GET', '/api/v1/devices/tw-fw')).body.firmwareVersion).toBe('2.1.0');
    expect((await twinOf('tw-fw')).reported.firmware.version).toBe('2.1.0');

    await report(device, 'tw-fw', { firmware: { channel: 'beta' } });
    await waitFor(() => twinOf('tw-fw'), (twin) => twin.reported.firmware.channel === 'beta');
    await report(device, 'tw-fw', { firmware: { version: '2.2.0' } });
    await waitFor(() => firmwareEvents.filter(([id]) => id === 'tw-fw'), (events) => events.length === 2);
    expect(firmwareEvents.filter(([id]) => id === 'tw-fw')).toEqual([
      ['tw-fw', '2.1.0'],
      ['tw-fw', '2.2.0'],
    ]);
    expect((await t.request('GET', '/api/v1/devices?firmware=2.2.0')).body.items.map((d: { id: string }) => d.id)).toEqual(['tw-fw']);
  });

  it.each([
    ['not JSON', 'temp=20', 'state/reported must be a JSON object'],
    ['a JSON array', '[1,2]', 'state/reported must be a JSON object'],
    ['a JSON string', '"hello"', 'state/reported must be a JSON object'],
  ])('refuses a report that is %s on the errors topic and changes nothing', async (_what, payload, message) => {
    const id = `tw-bad-${_what.replace(/\W/g, '')}`;
    const { client, inbox } = await listeningDevice(await register(id));
    await report(client, id, { ok: true });
    await waitFor(() => twinOf(id), (twin) => twin.reportedVersion === 1);
    await report(client, id, payload);
    await waitFor(() => on(inbox, `devices/${id}/errors`), (errors) => errors.length === 1);
    expect(JSON.parse(on(inbox, `devices/${id}/errors`)[0])).toEqual({ topic: `devices/${id}/state/reported`, message });
    await sleep(150);
    const twin = await twinOf(id);
    expect(twin.reported).toEqual({ ok: true });
    expect(twin.reportedVersion).toBe(1);
  });

  it('refuses a report that would make the reported document larger than TWIN_MAX_BYTES, keeping the earlier state', async () => {
    const { client, inbox } = await listeningDevice(await register('tw-big'));
    await report(client, 'tw-big', { blob: 'a'.repeat(300) });
    await waitFor(() => twinOf('tw-big'), (twin) => twin.reportedVersion === 1);
    // Small on its own, too large once merged.
    await report(client, 'tw-big', { more: 'b'.repeat(300) });
    await waitFor(() => on(inbox, 'devices/tw-big/errors'), (errors) => errors.length === 1);
    const error = JSON.parse(on(inbox, 'devices/tw-big/errors')[0]);
    expect(error.topic).toBe('devices/tw-big/state/reported');
    expect(error.message).toMatch(new RegExp(`reported state would be \\d+ bytes of JSON, over the limit of ${MAX_BYTES} \\(TWIN_MAX_BYTES\\)`));
    // Later reports still work, and the refused one never lands.
    await report(client, 'tw-big', { small: 1 });
    const twin = await waitFor(() => twinOf('tw-big'), (twin) => twin.reportedVersion === 2);
    expect(twin.reported).toEqual({ blob: 'a'.repeat(300), small: 1 });
  });

  it('never refuses a document that stays small, however many reports it took (the size bound is re-measured, not trusted)', async () => {
    const { client, inbox } = await listeningDevice(await register('tw-many'));
    // Each report is ~60 bytes, so after a dozen the sum of reports passes TWIN_MAX_BYTES while the document stays ~60.
    for (let n = 1; n <= 40; n++) await report(client, 'tw-many', `{ "n": ${n},   "note": "${'x'.repeat(30)}" }`);
    const twin = await waitFor(() => twinOf('tw-many'), (twin) => twin.reportedVersion === 40);
    expect(twin.reported).toEqual({ n: 40, note: 'x'.repeat(30) });
    expect(on(inbox, 'devices/tw-many/errors')).toEqual([]);
  });

  it('measures the document as stored, not as sent: short numbers that expand past TWIN_MAX_BYTES are refused', async () => {
    const { client, inbox } = await listeningDevice(await register('tw-expand'));
    // ~250 bytes sent; `1e20` is stored as 100000000000000000000, so ~700 bytes of JSON.
    const keys = Array.from({ length: 25 }, (_, i) => `"k${String(i).padStart(2, '0')}":1e20`);
    await report(client, 'tw-expand', `{${keys.join(',')}}`);
    await waitFor(() => on(inbox, 'devices/tw-expand/errors'), (errors) => errors.length === 1);
    expect(JSON.parse(on(inbox, 'devices/tw-expand/errors')[0]).message).toMatch(/over the limit of 600 \(TWIN_MAX_BYTES\)/);
    expect((await twinOf('tw-expand')).reportedVersion).toBe(0);
  });

  it('patches desired state with a merge patch, bumps its version, sends ETag, and audits the operator', async () => {
    await register('tw-desired');
    const first = await patchDesired('tw-desired', { sampling: { interval: 30, mode: 'fast' }, debug: true });
    expect(first.status).toBe(200);
    expect(first.etag).toBe('"1"');
    expect(first.body).toMatchObject({ desired: { sampling: { interval: 30, mode: 'fast' }, debug: true }, desiredVersion: 1, reportedVersion: 0 });

    const second = await patchDesired('tw-desired', { sampling: { mode: null }, debug: null }, { 'if-match': '"1"' });
    expect(second.status).toBe(200);
    expect(second.body.desired).toEqual({ sampling: { interval: 30 } });
    expect(second.body.desiredVersion).toBe(2);

    const read = await t.request('GET', '/api/v1/devices/tw-desired/twin');
    expect(read.headers.etag).toBe('"2"');
    expect(read.body).toEqual({
      desired: { sampling: { interval: 30 } },
      reported: {},
      delta: { sampling: { interval: 30 } },
      desiredVersion: 2,
      reportedVersion: 0,
      reportedUpdatedAt: {},
    });

    const audit = await t.request('GET', '/api/v1/audit?resourceType=device&resourceId=tw-desired&action=twin.update-desired');
    expect(audit.body.items).toHaveLength(2);
    expect(audit.body.items[0]).toMatchObject({
      actorName: 'test admin',
      before: { desiredVersion: 1, desired: { sampling: { interval: 30, mode: 'fast' }, debug: true } },
      after: { desiredVersion: 2, desired: { sampling: { interval: 30 } }, patch: { sampling: { mode: null }, debug: null } },
    });
  });

  it('refuses a stale If-Match with 412 and changes nothing', async () => {
    await register('tw-412');
    await patchDesired('tw-412', { a: 1 });
    await patchDesired('tw-412', { a: 2 });
    const stale = await patchDesired('tw-412', { a: 3 }, { 'if-match': '1' });
    expect(stale.status).toBe(412);
    expect(stale.body.message).toContain('desired state is at version 2, not 1');
    const twin = await twinOf('tw-412');
    expect(twin.desired).toEqual({ a: 2 });
    expect(twin.desiredVersion).toBe(2);
    expect((await patchDesired('tw-412', { a: 3 }, { 'if-match': 'W/"2"' })).status).toBe(200);
  });

  it('answers bad desired patches with 400/404/413/403 and writes nothing', async () => {
    await register('tw-400');
    expect((await patchDesired('tw-400', '[1]')).status).toBe(400);
    expect((await patchDesired('tw-400', '{"a":')).status).toBe(400);
    const badIfMatch = await patchDesired('tw-400', { a: 1 }, { 'if-match': 'latest' });
    expect(badIfMatch.status).toBe(400);
    expect(badIfMatch.body.message).toContain('If-Match');
    expect((await patchDesired('tw-missing', { a: 1 })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/devices/tw-missing/twin')).status).toBe(404);
    const tooLarge = await patchDesired('tw-400', { blob: 'x'.repeat(MAX_BYTES) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toContain('TWIN_MAX_BYTES');
    const viewer = await t.tokenFor('viewer');
    expect((await patchDesired('tw-400', { a: 1 }, {}, viewer)).status).toBe(403);
    expect((await twinOf('tw-400')).desiredVersion).toBe(0);
    // Plain application/json is accepted as a merge patch too.
    expect((await t.request('PATCH', '/api/v1/devices/tw-400/twin/desired', { a: 1 })).status).toBe(200);
  });

  it('publishes desired state and the delta retained, updates the delta as reports arrive, and clears it when in sync', async () => {
    const { client, inbox } = await listeningDevice(await register('tw-delta'));
    await report(client, 'tw-delta', { sampling: { interval: 10, mode: 'fast' }, led: 'off' });
    await waitFor(() => twinOf('tw-delta'), (twin) => twin.reportedVersion === 1);

    await patchDesired('tw-delta', { sampling: { interval: 30, mode: 'fast' }, led: 'on' });
    await waitFor(() => on(inbox, 'devices/tw-delta/state/delta'), (deltas) => deltas.length === 1);
    expect(JSON.parse(on(inbox, 'devices/tw-delta/state/desired')[0])).toEqual({ version: 1, state: { sampling: { interval: 30, mode: 'fast' }, led: 'on' } });
    expect(JSON.parse(on(inbox, 'devices/tw-delta/state/delta')[0])).toEqual({ version: 1, delta: { sampling: { interval: 30 }, led: 'on' } });

    await report(client, 'tw-delta', { led: 'on' });
    await waitFor(() => on(inbox, 'devices/tw-delta/state/delta'), (deltas) => deltas.length === 2);
    expect(JSON.parse(on(inbox, 'devices/tw-delta/state/delta')[1])).toEqual({ version: 1, delta: { sampling: { interval: 30 } } });

    await report(client, 'tw-delta', { sampling: { interval: 30 } });
    await waitFor(() => on(inbox, 'devices/tw-delta/state/delta'), (deltas) => deltas.length === 3);
    expect(on(inbox, 'devices/tw-delta/state/delta')[2]).toBe(''); // retained delta cleared
    expect((await twinOf('tw-delta')).delta).toEqual({});
  });

  it('gives a device that was offline the current desired state and delta the moment it subscribes', async () => {
    const login = await register('tw-offline');
    await patchDesired('tw-offline', { mode: 'eco' });
    await patchDesired('tw-offline', { interval: 60 });
    const { inbox } = await listeningDevice(login);
    await waitFor(() => on(inbox, 'devices/tw-offline/state/delta'), (deltas) => deltas.length === 1);
    expect(on(inbox, 'devices/tw-offline/state/desired').map((m) => JSON.parse(m))).toEqual([{ version: 2, state: { mode: 'eco', interval: 60 } }]);
    expect(JSON.parse(on(inbox, 'devices/tw-offline/state/delta')[0])).toEqual({ version: 2, delta: { mode: 'eco', interval: 60 } });

    // Reconnecting gets the retained desired state again.
    open.splice(0).forEach((client) => client.end(true));
    const again = await listeningDevice(login);
    await waitFor(() => on(again.inbox, 'devices/tw-offline/state/desired'), (desired) => desired.length === 1);
    expect(JSON.parse(on(again.inbox, 'devices/tw-offline/state/desired')[0]).version).toBe(2);
  });

  it('filters the device list and dynamic groups on reported values', async () => {
    for (const [id, version, site] of [
      ['tw-list-1', '3.0.0', 'syd'],
      ['tw-list-2', '3.0.0', 'mel'],
      ['tw-list-3', '3.1.0', 'syd'],
    ]) {
      const device = await connect(await register(id));
      await report(device, id, { firmware: { version }, site, uptime: 5 });
    }
    await waitFor(() => twinOf('tw-list-3'), (twin) => twin.reportedVersion === 1);
    await waitFor(() => twinOf('tw-list-1'), (twin) => twin.reportedVersion === 1);
    const ids = async (query: string) => {
      const res = await t.request('GET', `/api/v1/devices?${query}`);
      expect(res.status).toBe(200);
      return res.body.items.map((d: { id: string }) => d.id);
    };
    expect(await ids('reported.firmware.version=3.0.0')).toEqual(['tw-list-1', 'tw-list-2']);
    expect(await ids('reported.firmware.version=3.0.0&reported.site=syd')).toEqual(['tw-list-1']);
    expect(await ids('reported.uptime=5&q=tw-list')).toEqual(['tw-list-1', 'tw-list-2', 'tw-list-3']);
    expect(await ids('reported.firmware.version=9.9.9')).toEqual([]);
    const bad = await t.request('GET', '/api/v1/devices?reported.bad%20path=1');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('reported');
    const list = await t.request('GET', '/api/v1/devices?reported.firmware.version=3.1.0');
    expect(Object.keys(list.body.items[0]).sort()).toEqual(['createdAt', 'firmwareVersion', 'id', 'lastSeenAt', 'name', 'status', 'tags', 'type', 'updatedAt']);

    const group = await t.request('POST', '/api/v1/groups', { name: 'syd on 3.x', selector: { reported: { site: 'syd' }, q: 'tw-list' } });
    expect(group.status).toBe(201);
    expect(await ids(`group=${group.body.id}`)).toEqual(['tw-list-1', 'tw-list-3']);
  });
});
