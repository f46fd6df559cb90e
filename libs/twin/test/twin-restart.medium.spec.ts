import type { MqttClient } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { type TestDatabase, createTestDatabase } from '../../../test/support/test-database';
import { type DeviceLogin, collect, connectDevice, sleep, waitFor } from '../../../test/support/mqtt-device';
import { TwinRepository } from '../src/twin.repository';

const ENV = { TWIN_FLUSH_INTERVAL_MS: '30' };

/**
 * The embedded broker keeps retained messages in memory: after a restart the server itself
 * must make `state/desired` and `state/delta` retained again (CONTRACT §3), on the real
 * broker and Postgres, across two app instances on one database.
 */
describe('desired state across a server restart (real Postgres, real broker)', () => {
  let database: TestDatabase;
  let t: TestApp;
  const logins = new Map<string, DeviceLogin>();
  const open: MqttClient[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const before = await TestApp.start(ENV, { broker: true, database });
    const register = async (id: string) => void logins.set(id, await before.registerDevice(id));
    const patch = async (id: string, body: unknown) => expect((await before.request('PATCH', `/api/v1/devices/${id}/twin/desired`, body)).status).toBe(200);
    const twinOf = async (id: string) => (await before.request('GET', `/api/v1/devices/${id}/twin`)).body;

    for (const id of ['rs-delta', 'rs-sync', 'rs-none', ...Array.from({ length: 30 }, (_, i) => `rs-storm-${i}`)]) await register(id);
    const device = await connectDevice(before.broker.mqtt, logins.get('rs-delta')!);
    await device.publishAsync('devices/rs-delta/state/reported', JSON.stringify({ led: 'off', interval: 10 }), { qos: 1 });
    await waitFor(() => twinOf('rs-delta'), (twin) => twin.reportedVersion === 1);
    await device.endAsync();
    await patch('rs-delta', { led: 'off', interval: 30 });
    await patch('rs-delta', { mode: 'eco' });
    await patch('rs-sync', { mode: 'eco' });
    const synced = await connectDevice(before.broker.mqtt, logins.get('rs-sync')!);
    await synced.publishAsync('devices/rs-sync/state/reported', JSON.stringify({ mode: 'eco' }), { qos: 1 });
    await waitFor(() => twinOf('rs-sync'), (twin) => twin.reportedVersion === 1);
    await synced.endAsync();
    for (let i = 0; i < 30; i++) await patch(`rs-storm-${i}`, { slot: i });

    await before.stop();
    t = await TestApp.start(ENV, { broker: true, database });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
  });
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  const listen = async (id: string) => {
    const client = await connectDevice(t.broker.mqtt, logins.get(id)!);
    open.push(client);
    const inbox = collect(client);
    await client.subscribeAsync(`devices/${id}/#`, { qos: 1 });
    return inbox;
  };
  const on = (inbox: Array<{ topic: string; payload: string }>, topic: string) => inbox.filter((m) => m.topic === topic).map((m) => m.payload);
  /** A republish racing the SUBSCRIBE may arrive both live and retained (MQTT 3.1.1 §3.3.1.3); the version makes that harmless. */
  const distinct = (payloads: string[]) => [...new Set(payloads)].map((payload) => JSON.parse(payload));

  it('gives a device the desired state and delta set before the restart when it connects', async () => {
    const inbox = await listen('rs-delta');
    await waitFor(() => on(inbox, 'devices/rs-delta/state/delta'), (deltas) => deltas.length >= 1);
    await sleep(200);
    expect(distinct(on(inbox, 'devices/rs-delta/state/desired'))).toEqual([{ version: 2, state: { led: 'off', interval: 30, mode: 'eco' } }]);
    expect(distinct(on(inbox, 'devices/rs-delta/state/delta'))).toEqual([{ version: 2, delta: { interval: 30, mode: 'eco' } }]);

    // Retained now: the next session gets both the moment it subscribes.
    open.splice(0).forEach((client) => client.end(true));
    const again = await listen('rs-delta');
    await waitFor(() => on(again, 'devices/rs-delta/state/delta'), (deltas) => deltas.length >= 1);
    expect(JSON.parse(on(again, 'devices/rs-delta/state/desired')[0])).toEqual({ version: 2, state: { led: 'off', interval: 30, mode: 'eco' } });
  });

  it('sends no delta when reported already matches desired', async () => {
    const inbox = await listen('rs-sync');
    await waitFor(() => on(inbox, 'devices/rs-sync/state/desired'), (desired) => desired.length >= 1);
    await sleep(200);
    expect(distinct(on(inbox, 'devices/rs-sync/state/desired'))).toEqual([{ version: 1, state: { mode: 'eco' } }]);
    expect(on(inbox, 'devices/rs-sync/state/delta')).toEqual([]);
  });

  it('sends nothing to a device that has no desired state', async () => {
    const inbox = await listen('rs-none');
    await sleep(300);
    expect(inbox.filter((m) => m.topic.startsWith('devices/rs-none/state/'))).toEqual([]);
  });

  it('looks up a reconnect storm in a few queries, and a reconnect in none', async () => {
    const lookups = jest.spyOn(t.app.get(TwinRepository), 'loadWithDesired');
    const ids = Array.from({ length: 30 }, (_, i) => `rs-storm-${i}`);
    const inboxes = await Promise.all(ids.map((id) => listen(id)));
    await Promise.all(ids.map((id, i) => waitFor(() => on(inboxes[i], `devices/${id}/state/desired`), (desired) => desired.length >= 1)));
    ids.forEach((id, i) => expect(distinct(on(inboxes[i], `devices/${id}/state/desired`))).toEqual([{ version: 1, state: { slot: i } }]));
    const queries = lookups.mock.calls.length;
    expect(queries).toBeGreaterThanOrEqual(1);
    // 30 connects within a few coalescing windows; a query per device would be 30.
    expect(queries).toBeLessThanOrEqual(10);

    open.splice(0).forEach((client) => client.end(true));
    const again = await listen('rs-storm-7');
    await waitFor(() => on(again, 'devices/rs-storm-7/state/desired'), (desired) => desired.length >= 1);
    await sleep(100);
    expect(lookups.mock.calls.length).toBe(queries);
    lookups.mockRestore();
  });
});
