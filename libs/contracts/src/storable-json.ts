/**
 * What JSON can carry but Postgres (jsonb, text) or JSON itself cannot hold: U+0000 and lone
 * UTF-16 surrogates in any string, key or value (Postgres refuses both with "invalid input
 * syntax"), numbers that are not finite (`1e999` parses to Infinity, which JSON.stringify
 * writes as `null`), and nesting so deep that recursive code overflows the stack. Refused
 * where input enters (device payloads, REST bodies), so it never reaches a batched write.
 */
export const MAX_JSON_DEPTH = 64;

/** U+0000, a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  const match = UNSTORABLE_TEXT.exec(text);
  if (!match) return undefined;
  return match[0].includes('\u0000') ? 'contains U+0000 (NUL)' : 'contains a lone UTF-16 surrogate';
}

/**
 * Why a parsed JSON value cannot be stored, naming where (`note`, `tags[2]`, `a.b`; `(root)`
 * for the value itself, or `root`, which also prefixes the path), or undefined when every string, key and number in it can. Stops at
 * `maxDepth`, so a 100,000-deep document costs no more stack than `maxDepth` frames; the path
 * is built only on the way back from a refusal (this runs on every device report).
 */
export function findUnstorable(value: unknown, root = '(root)', maxDepth = MAX_JSON_DEPTH): string | undefined {
  const found = walk(value, maxDepth, maxDepth);
  if (!found) return undefined;
  const path = !found.path ? root : root === '(root)' ? found.path : `${root}${found.path.startsWith('[') ? '' : '.'}${found.path}`;
  return `${path}: ${found.problem}`;
}

interface Found {
  path: string;
  problem: string;
}

function walk(value: unknown, depthLeft: number, maxDepth: number): Found | undefined {
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem ? { path: '', problem } : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: '', problem: 'is not a finite number' };
  if (typeof value !== 'object' || value === null) return undefined;
  if (depthLeft <= 0) return { path: '', problem: `is nested deeper than ${maxDepth} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depthLeft - 1, maxDepth);
      if (found) return { path: `[${i}]${found.path && !found.path.startsWith('[') ? '.' : ''}${found.path}`, problem: found.problem };
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const keyProblem = unstorableText(key);
    if (keyProblem) return { path: '', problem: `has a key that ${keyProblem}` };
    const found = walk((value as Record<string, unknown>)[key], depthLeft - 1, maxDepth);
    if (found) return { path: found.path ? `${key}${found.path.startsWith('[') ? '' : '.'}${found.path}` : key, problem: found.problem };
  }
  return undefined;
}
