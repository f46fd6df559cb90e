import { PresenceWriter } from '@edgefleet/broker';
import { ClusterMembership } from '@edgefleet/cluster';
import { PrismaService } from '@edgefleet/database';
import { DeviceRepository } from '@edgefleet/registry';
import { TestApp } from '../../../test/support/test-app';

describe('PresenceWriter (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    const devices = Array.from({ length: 3 }, (_, i) => ({ id: `p-${i}`, type: 'cam' }));
    expect((await t.request('POST', '/api/v1/devices/batch', { devices })).status).toBe(201);
  });
  afterAll(() => t.stop());

  const statuses = async () =>
    Object.fromEntries((await t.request('GET', '/api/v1/devices?q=p-')).body.items.map((d: { id: string; status: string }) => [d.id, d.status]));

  it('writes buffered changes in one go, the last change per device winning', async () => {
    const writer = t.app.get(PresenceWriter);
    const repository = t.app.get(DeviceRepository);
    const statements = jest.spyOn(repository, 'applySessions');
    const at = new Date('2026-01-02T03:04:05.678Z');
    writer.record('p-0', true, at);
    writer.record('p-1', true, at);
    writer.record('p-0', false, at);
    writer.record('p-2', false, at);
    writer.record('p-0', true, at);
    await writer.flush();
    expect(statements).toHaveBeenCalledTimes(1);
    expect(statements.mock.calls[0][0]).toHaveLength(3);
    expect(await statuses()).toEqual({ 'p-0': 'online', 'p-1': 'online', 'p-2': 'offline' });
    expect((await t.request('GET', '/api/v1/devices/p-0')).body.lastSeenAt).toBe(at.toISOString());
    statements.mockRestore();
  });

  it('keeps every session start the buffer folded together, and only the newest 32 per device', async () => {
    const writer = t.app.get(PresenceWriter);
    const second = (s: number) => new Date(Date.UTC(2026, 0, 3, 0, 0, s));
    const recent = async (id: string) =>
      (await t.app.get(PrismaService).$queryRaw<{ c: Date[] }[]>`SELECT recent_connects AS c FROM devices WHERE id = ${id}`)[0].c.map((d) => d.toISOString());
    writer.record('p-1', true, second(1), true);
    writer.record('p-1', false, second(2));
    writer.record('p-1', true, second(3), true);
    writer.record('p-1', true, second(4)); // a sign of life, not a session
    await writer.flush();
    expect(await recent('p-1')).toEqual([second(1), second(3)].map((d) => d.toISOString()));
    for (let s = 5; s < 45; s++) writer.record('p-1', true, second(s), true);
    await writer.flush();
    const kept = await recent('p-1');
    expect(kept).toHaveLength(32);
    expect([kept[0], kept.at(-1)]).toEqual([second(13).toISOString(), second(44).toISOString()]);
  });

  it('flushes on its own within a few hundred milliseconds', async () => {
    t.app.get(PresenceWriter).record('p-2', true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await statuses())['p-2']).toBe('online');
  });

  it('marks every device offline (what the broker does at start)', async () => {
    expect(await t.app.get(DeviceRepository).markAllOffline()).toBe(3);
    expect(await statuses()).toEqual({ 'p-0': 'offline', 'p-1': 'offline', 'p-2': 'offline' });
  });

  it('keeps the device online at the node holding its session when another node\'s late disconnect lands, in either order', async () => {
    const repository = t.app.get(DeviceRepository);
    const leftA = new Date(Date.now() + 60_000);
    const joinedA = new Date(leftA.getTime() - 30_000);
    const joinedB = new Date(leftA.getTime() - 5_000);
    // Node A's online, then B's (the device reconnected at B), then A's disconnect, seen late.
    await repository.applySessions([{ deviceId: 'p-1', online: true, at: joinedA }], 'node-a');
    await repository.applySessions([{ deviceId: 'p-1', online: true, at: joinedB }], 'node-b');
    await repository.applySessions([{ deviceId: 'p-1', online: false, at: leftA }], 'node-a');
    expect((await statuses())['p-1']).toBe('online');
    // A's disconnect first, then B's online with an earlier timestamp: B still takes the session.
    await repository.applySessions([{ deviceId: 'p-2', online: true, at: joinedA }], 'node-a');
    await repository.applySessions([{ deviceId: 'p-2', online: false, at: leftA }], 'node-a');
    await repository.applySessions([{ deviceId: 'p-2', online: true, at: joinedB }], 'node-b');
    expect((await statuses())['p-2']).toBe('online');
    // A stale online from A (a session older than B's) does not take it back; B's own disconnect counts.
    await repository.applySessions([{ deviceId: 'p-2', online: true, at: new Date(joinedB.getTime() - 1_000) }], 'node-a');
    await repository.applySessions([{ deviceId: 'p-2', online: false, at: leftA }], 'node-b');
    expect((await statuses())['p-2']).toBe('offline');
    // Node B dies: a live node sweeps the devices it held.
    expect(await repository.markOfflineUnlessHeldBy(['node-a', t.app.get(ClusterMembership).nodeId])).toBe(1);
    expect((await statuses())['p-1']).toBe('offline');
  });

});
