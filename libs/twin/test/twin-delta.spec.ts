import { computeDelta, deltaPayload } from '../src/twin-delta';

describe('computeDelta', () => {
  it('is empty when reported has every desired value', () => {
    expect(computeDelta({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2], extra: 1 }, other: 'x' })).toEqual({});
  });

  it('holds desired keys that are missing or different in reported', () => {
    expect(computeDelta({ a: 1, b: 'x', c: true }, { a: 2, c: true })).toEqual({ a: 1, b: 'x' });
  });

  it('compares nested objects key by key and keeps only the differing leaves', () => {
    const desired = { sampling: { interval: 30, mode: 'fast', limits: { max: 5, min: 1 } } };
    const reported = { sampling: { interval: 10, mode: 'fast', limits: { max: 5, min: 0 } } };
    expect(computeDelta(desired, reported)).toEqual({ sampling: { interval: 30, limits: { min: 1 } } });
  });

  it('takes arrays and type changes whole', () => {
    expect(computeDelta({ list: [1, 2, 3], obj: { a: 1 } }, { list: [1, 2], obj: 'scalar' })).toEqual({ list: [1, 2, 3], obj: { a: 1 } });
  });

  it('ignores object key order', () => {
    expect(computeDelta({ a: { x: 1, y: [{ p: 1, q: 2 }] } }, { a: { y: [{ q: 2, p: 1 }], x: 1 } })).toEqual({});
  });

  it('gives the retained payload with the desired version, or empty when in sync', () => {
    expect(JSON.parse(deltaPayload(4, { a: 1 }, {}))).toEqual({ version: 4, delta: { a: 1 } });
    expect(deltaPayload(4, { a: 1 }, { a: 1 })).toBe('');
  });
});
