/** JSON state as the twin holds it: plain objects, no `undefined`. */
export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396 JSON merge patch, applied in place: `null` removes a key, objects merge, anything else replaces. */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isObject(value)) target[key] = applyMergePatch(isObject(target[key]) ? (target[key] as JsonObject) : {}, value);
    else target[key] = value;
  }
  return target;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
}

/**
 * The desired keys whose value differs from the reported one, recursing into objects — the
 * same rule the server uses for `state/delta`, so a device that (re)connects can work out
 * its delta from the retained desired document alone.
 */
export function desiredDelta(desired: JsonObject, reported: JsonObject): JsonObject {
  const delta: JsonObject = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = reported[key];
    if (isObject(want) && isObject(have)) {
      const inner = desiredDelta(want, have);
      if (Object.keys(inner).length > 0) delta[key] = inner;
    } else if (!jsonEqual(want, have)) {
      delta[key] = want;
    }
  }
  return delta;
}
