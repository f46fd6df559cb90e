import { applyMergePatch, desiredDelta, jsonEqual } from '@edgefleet/device-sdk';

describe('reported state merging (RFC 7396) and the desired delta', () => {
  it('merges objects, replaces scalars and arrays, and deletes keys set to null', () => {
    const state = { a: 1, nested: { keep: true, drop: 'x' }, list: [1, 2] };
    applyMergePatch(state, { a: 2, nested: { drop: null, added: 3 }, list: [3], fresh: { deep: 1 } });
    expect(state).toEqual({ a: 2, nested: { keep: true, added: 3 }, list: [3], fresh: { deep: 1 } });
  });

  it('holds only the desired leaves that differ from reported', () => {
    const desired = { interval: 30, net: { ssid: 'x', dhcp: true }, tags: ['a', 'b'], same: 1 };
    const reported = { interval: 10, net: { ssid: 'x', dhcp: false }, tags: ['a', 'b'], same: 1, extra: 'ignored' };
    expect(desiredDelta(desired, reported)).toEqual({ interval: 30, net: { dhcp: true } });
    expect(desiredDelta({ net: { ssid: 'x' } }, { net: 'flat' })).toEqual({ net: { ssid: 'x' } });
    expect(desiredDelta(reported, reported)).toEqual({});
  });

  it('compares JSON values structurally', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});
