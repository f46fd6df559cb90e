import type { CheckValue, HealthCheck } from './health-spec';

/** A reported value that is not there (distinct from a reported `null`). */
export const MISSING = Symbol('missing');
export type Observed = unknown | typeof MISSING;

/** The value at a dot path of a JSON document, or MISSING. */
export function readPath(document: unknown, path: string): Observed {
  let current: unknown = document;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, key)) return MISSING;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Whether a present value passes. Ordered ops need a number on both sides: anything else reported fails. */
export function checkPasses(check: HealthCheck, actual: unknown): boolean {
  const expected: CheckValue = check.value;
  switch (check.op) {
    case 'eq':
      return sameValue(actual, expected);
    case 'ne':
      return !sameValue(actual, expected);
    default: {
      if (typeof actual !== 'number' || typeof expected !== 'number' || !Number.isFinite(actual)) return false;
      if (check.op === 'lt') return actual < expected;
      if (check.op === 'lte') return actual <= expected;
      if (check.op === 'gt') return actual > expected;
      return actual >= expected;
    }
  }
}

function sameValue(actual: unknown, expected: CheckValue): boolean {
  if (actual !== null && typeof actual === 'object') return false;
  return actual === expected;
}
