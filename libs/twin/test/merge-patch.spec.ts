import type { TwinDocument } from '@edgefleet/contracts';
import { applyMergePatch, changedTopLevelKeys, mergePatchChanges, mergePatchInPlace } from '../src/merge-patch';

// RFC 7396 Appendix A, the object cases, and a few of ours.
const CASES: Array<[TwinDocument, TwinDocument, TwinDocument]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null } as TwinDocument, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    [{ a: 5 }, { a: { b: 1 } }, { a: { b: 1 } }],
    [{ a: { b: 1 }, c: [1] }, { a: { b: 1 }, c: [1], d: null }, { a: { b: 1 }, c: [1] }],
    [{ a: { b: { c: 1 } } }, { a: { b: { c: null, d: 2 } }, e: {} }, { a: { b: { d: 2 } }, e: {} }],
];

describe('applyMergePatch (RFC 7396)', () => {
  it.each(CASES)('%j patched with %j is %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('does not change the target', () => {
    const target: TwinDocument = { a: { b: 1 }, c: [1] };
    applyMergePatch(target, { a: { b: 2 }, c: null });
    expect(target).toEqual({ a: { b: 1 }, c: [1] });
  });

  it('returns the target itself when nothing changes, so a repeated report is a no-op', () => {
    const target: TwinDocument = { a: { b: 1 }, list: [1, 2], gone: 'x' };
    expect(applyMergePatch(target, { a: { b: 1 }, list: [1, 2], missing: null })).toBe(target);
    expect(applyMergePatch(target, {})).toBe(target);
  });

  it('keeps unchanged branches by identity', () => {
    const target: TwinDocument = { a: { b: 1 }, c: { d: 2 } };
    const result = applyMergePatch(target, { c: { d: 3 } });
    expect(result.a).toBe(target.a);
    expect(result.c).toEqual({ d: 3 });
  });

  it('stores a "__proto__" key as data, never as the prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as TwinDocument;
    const result = applyMergePatch({}, patch);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('names the top-level keys a patch changed, added or deleted', () => {
    const before: TwinDocument = { a: 1, b: { c: 2 }, d: 'x' };
    const patch: TwinDocument = { a: 1, b: { c: 3 }, d: null, e: true, f: null };
    expect(changedTopLevelKeys(before, applyMergePatch(before, patch), patch).sort()).toEqual(['b', 'd', 'e']);
  });
});

describe('mergePatchInPlace', () => {
  it.each(CASES)('%j patched with %j becomes %j, naming the keys applyMergePatch changes', (target, patch, expected) => {
    const document = structuredClone(target);
    const changed = mergePatchInPlace(document, patch);
    expect(document).toEqual(expected);
    expect(changed.sort()).toEqual(changedTopLevelKeys(target, applyMergePatch(target, patch), patch).sort());
  });

  it('names nothing and leaves the document alone when nothing changes', () => {
    const document: TwinDocument = { a: { b: 1 }, list: [1, 2] };
    const nested = document.a;
    expect(mergePatchInPlace(document, { a: { b: 1 }, list: [1, 2], missing: null })).toEqual([]);
    expect(document).toEqual({ a: { b: 1 }, list: [1, 2] });
    expect(document.a).toBe(nested);
  });

  it('copies documents in from the patch, so later merges never change the patch', () => {
    const patch: TwinDocument = { a: { b: 1 } };
    const document: TwinDocument = {};
    mergePatchInPlace(document, patch);
    mergePatchInPlace(document, { a: { b: 2, c: 3 } });
    expect(patch).toEqual({ a: { b: 1 } });
    expect(document).toEqual({ a: { b: 2, c: 3 } });
  });

  it('stores a "__proto__" key as data, never as the prototype', () => {
    const document: TwinDocument = {};
    mergePatchInPlace(document, JSON.parse('{"__proto__": {"polluted": true}}') as TwinDocument);
    expect(Object.getPrototypeOf(document)).toBe(Object.prototype);
    expect(JSON.stringify(document)).toBe('{"__proto__":{"polluted":true}}');
    mergePatchInPlace(document, JSON.parse('{"__proto__": null}') as TwinDocument);
    expect(JSON.stringify(document)).toBe('{}');
    expect(Object.getPrototypeOf(document)).toBe(Object.prototype);
  });
});

describe('mergePatchChanges', () => {
  it.each(CASES)('tells whether %j patched with %j changes, without changing it', (target, patch) => {
    const before = structuredClone(target);
    expect(mergePatchChanges(target, patch)).toBe(applyMergePatch(target, patch) !== target);
    expect(target).toEqual(before);
  });
});
