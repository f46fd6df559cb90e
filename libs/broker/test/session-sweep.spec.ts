import type { DeviceSessionRecord } from '@edgefleet/registry';
import { type HeldSession, SessionSweep, type StaleReason, staleReason } from '../src/session-sweep';

const OPENED = Date.parse('2026-12-03T06:00:00.000Z');
const record = (changes: Partial<DeviceSessionRecord> = {}): DeviceSessionRecord => ({
  hash: 'hash-1',
  authMethods: ['password', 'certificate'],
  sessionNode: 'node-1',
  sessionAt: new Date(OPENED),
  ...changes,
});
const session = (changes: Partial<HeldSession> = {}): HeldSession => ({ deviceId: 'd-1', openedAt: OPENED, passwordHash: 'hash-1', close: () => undefined, ...changes });
const notRevoked = () => false;

describe('staleReason', () => {
  it('keeps a session the database agrees with', () => {
    expect(staleReason(session(), record(), 'node-1', notRevoked)).toBeUndefined();
  });

  it('keeps a session whose own presence write has not landed yet (the directory still names an older session elsewhere)', () => {
    expect(staleReason(session(), record({ sessionNode: 'node-2', sessionAt: new Date(OPENED - 5_000) }), 'node-1', notRevoked)).toBeUndefined();
    expect(staleReason(session(), record({ sessionNode: null, sessionAt: null }), 'node-1', notRevoked)).toBeUndefined();
  });

  it.each<[string, Partial<HeldSession>, DeviceSessionRecord | undefined, StaleReason]>([
    ['the device is gone', {}, undefined, 'decommissioned'],
    ['the password was rotated', {}, record({ hash: 'hash-2' }), 'credential-changed'],
    ['password sign-in was turned off', {}, record({ authMethods: ['certificate'] }), 'method-removed'],
    ['certificate sign-in was turned off', { passwordHash: undefined, fingerprint: 'AB' }, record({ authMethods: ['password'] }), 'method-removed'],
    ['a newer session opened at another node', {}, record({ sessionNode: 'node-2', sessionAt: new Date(OPENED + 1) }), 'taken-over'],
  ])('closes a session when %s', (_, held, found, reason) => {
    expect(staleReason(session(held), found, 'node-1', notRevoked)).toBe(reason);
  });

  it('closes a certificate session whose certificate is revoked, and only that one', () => {
    const revoked = (fingerprint: string) => fingerprint === 'AB';
    expect(staleReason(session({ passwordHash: undefined, fingerprint: 'AB' }), record(), 'node-1', revoked)).toBe('certificate-revoked');
    expect(staleReason(session({ passwordHash: undefined, fingerprint: 'CD' }), record(), 'node-1', revoked)).toBeUndefined();
    // A password session is not affected by the device's certificates.
    expect(staleReason(session(), record(), 'node-1', () => true)).toBeUndefined();
  });
});

describe('SessionSweep', () => {
  it('catches up on revocations first, reads records in batches of 5,000, and closes only the stale sessions', async () => {
    const held = Array.from({ length: 12_000 }, (_, i) => session({ deviceId: `d-${i}`, close: jest.fn() }));
    const order: string[] = [];
    const batches: number[] = [];
    const closed: [string, StaleReason][] = [];
    const sweep = new SessionSweep({
      nodeId: 'node-1',
      held: () => held,
      catchUpRevocations: async () => void order.push('catch-up'),
      records: async (ids) => {
        order.push('records');
        batches.push(ids.length);
        // d-7 was decommissioned, d-11000 rotated.
        return new Map(ids.filter((id) => id !== 'd-7').map((id) => [id, record(id === 'd-11000' ? { hash: 'hash-2' } : {})]));
      },
      isRevoked: notRevoked,
      closed: (s, reason) => closed.push([s.deviceId, reason]),
    });
    expect(await sweep.run()).toBe(2);
    expect(order).toEqual(['catch-up', 'records', 'records', 'records']);
    expect(batches).toEqual([5_000, 5_000, 2_000]);
    expect(closed).toEqual([['d-7', 'decommissioned'], ['d-11000', 'credential-changed']]);
    expect(held.filter((s) => (s.close as jest.Mock).mock.calls.length > 0).map((s) => s.deviceId)).toEqual(['d-7', 'd-11000']);
  });

  it('runs one sweep at a time: a call during a sweep joins it', async () => {
    let release!: () => void;
    let reads = 0;
    const sweep = new SessionSweep({
      nodeId: 'node-1',
      held: () => [session()],
      catchUpRevocations: () => new Promise<void>((resolve) => (release = resolve)),
      records: async () => (reads++, new Map([['d-1', record()]])),
      isRevoked: notRevoked,
      closed: () => undefined,
    });
    const first = sweep.run();
    const second = sweep.run();
    expect(second).toBe(first);
    release();
    await first;
    expect(reads).toBe(1);
    // Once done, the next call is a new sweep.
    const third = sweep.run();
    expect(third).not.toBe(first);
    release();
    await third;
    expect(reads).toBe(2);
  });
});
