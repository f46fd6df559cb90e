import type { JsonValue, TwinDocument } from '@edgefleet/contracts';
import { isDocument, jsonEqual, ownValue, setOwn } from './json-document';

/**
 * JSON Merge Patch (RFC 7396 §2) applied without mutating `target`: `null` deletes a key,
 * an object merges into the object at that key (replacing a non-object), anything else
 * replaces. Unchanged parts keep their identity, and when nothing changes `target` itself
 * comes back, so callers detect a no-op report by reference.
 */
export function applyMergePatch(target: TwinDocument, patch: TwinDocument): TwinDocument {
  let result: TwinDocument | undefined;
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    const current = ownValue(target, key);
    let next: JsonValue | undefined;
    if (value === null) next = undefined;
    else if (isDocument(value)) next = applyMergePatch(isDocument(current) ? current : {}, value);
    else next = jsonEqual(current, value) ? current : value;
    if (next === current) continue;
    result ??= { ...target };
    if (next === undefined) delete result[key];
    else setOwn(result, key, next);
  }
  return result ?? target;
}

/** Whether `applyMergePatch(target, patch)` would change anything; reads only. */
export function mergePatchChanges(target: TwinDocument, patch: TwinDocument): boolean {
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    const current = ownValue(target, key);
    if (value === null) {
      if (current !== undefined) return true;
    } else if (isDocument(value)) {
      if (!isDocument(current) || mergePatchChanges(current, value)) return true;
    } else if (!jsonEqual(current, value)) return true;
  }
  return false;
}

/**
 * The same merge applied to `target` itself, for the one owner of a document (the ingest's
 * cached reported state): returns the top-level keys it changed (added, replaced or
 * deleted), none when nothing changed. Documents in the patch are copied in, never linked,
 * so the patch stays as it was; arrays and scalars are taken as they are, as
 * `applyMergePatch` takes them.
 */
export function mergePatchInPlace(target: TwinDocument, patch: TwinDocument): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(patch)) if (mergeKeyInPlace(target, key, patch[key])) changed.push(key);
  return changed;
}

function mergeKeyInPlace(target: TwinDocument, key: string, value: JsonValue): boolean {
  const current = ownValue(target, key);
  if (value === null) {
    if (current === undefined) return false;
    delete target[key];
    return true;
  }
  if (isDocument(value)) {
    if (!isDocument(current)) {
      setOwn(target, key, applyMergePatch({}, value));
      return true;
    }
    let changed = false;
    for (const nested of Object.keys(value)) if (mergeKeyInPlace(current, nested, value[nested])) changed = true;
    return changed;
  }
  if (jsonEqual(current, value)) return false;
  setOwn(target, key, value);
  return true;
}

/** Top-level keys whose value `applyMergePatch(before, patch)` changed (added, replaced or deleted). */
export function changedTopLevelKeys(before: TwinDocument, after: TwinDocument, patch: TwinDocument): string[] {
  return Object.keys(patch).filter((key) => ownValue(before, key) !== ownValue(after, key));
}
