import { MAX_JSON_DEPTH, findUnstorable, unstorableText } from '@edgefleet/contracts';

function nested(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

describe('findUnstorable', () => {
  it('accepts what Postgres and JSON hold, including paired surrogates', () => {
    expect(findUnstorable({ note: 'ok 😀', n: 1.5e300, list: [null, true, 'x'], deep: nested(MAX_JSON_DEPTH - 1) })).toBeUndefined();
  });

  it.each([
    [{ note: 'a\u0000b' }, 'note: contains U+0000 (NUL)'],
    [{ note: '\ud800' }, 'note: contains a lone UTF-16 surrogate'],
    [{ note: 'x\udc00' }, 'note: contains a lone UTF-16 surrogate'],
    [{ a: { b: [1, { c: '\ud83d' }] } }, 'a.b[1].c: contains a lone UTF-16 surrogate'],
    [{ a: [[0, '\u0000']] }, 'a[0][1]: contains U+0000 (NUL)'],
    [{ ['k\u0000']: 1 }, '(root): has a key that contains U+0000 (NUL)'],
    [{ x: { ['\udfff']: 1 } }, 'x: has a key that contains a lone UTF-16 surrogate'],
    [JSON.parse('{"big":1e999}'), 'big: is not a finite number'],
    [JSON.parse('[-1e999]'), '[0]: is not a finite number'],
    ['\u0000', '(root): contains U+0000 (NUL)'],
  ])('refuses %j as "%s"', (value, reason) => {
    expect(findUnstorable(value)).toBe(reason);
  });

  it('refuses nesting past the limit without using the stack for all of it', () => {
    expect(findUnstorable(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findUnstorable(nested(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper than 64 levels$/);
    expect(findUnstorable(nested(100_000))).toMatch(/nested deeper than 64 levels$/);
    expect(findUnstorable({ a: nested(3) }, '(root)', 3)).toBe('a[0][0]: is nested deeper than 3 levels');
    expect(findUnstorable({ a: nested(3) }, 'body', 3)).toBe('body.a[0][0]: is nested deeper than 3 levels');
    expect(findUnstorable(nested(3), 'body', 2)).toBe('body[0][0]: is nested deeper than 2 levels');
    expect(findUnstorable(nested(3), 'body', 0)).toBe('body: is nested deeper than 0 levels');
  });
});

describe('unstorableText', () => {
  it('finds a lone surrogate anywhere, and passes pairs', () => {
    expect(unstorableText('\ud83d\ude00\ud83d\ude00')).toBeUndefined();
    expect(unstorableText('\ude00')).toBeDefined();
    expect(unstorableText('abc\ud83d')).toBeDefined();
    expect(unstorableText('\ud83d\ud83d\ude00')).toBeDefined();
  });
});
