import { PresenceWriter } from '@edgefleet/broker';
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
    const statements = jest.spyOn(repository, 'applyPresence');
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

  it('flushes on its own within a few hundred milliseconds', async () => {
    t.app.get(PresenceWriter).record('p-2', true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await statuses())['p-2']).toBe('online');
  });

  it('marks every device offline (what the broker does at start)', async () => {
    expect(await t.app.get(DeviceRepository).markAllOffline()).toBe(3);
    expect(await statuses()).toEqual({ 'p-0': 'offline', 'p-1': 'offline', 'p-2': 'offline' });
  });
});
