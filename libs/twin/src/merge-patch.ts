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

/** Top-level keys whose value `applyMergePatch(before, patch)` changed (added, replaced or deleted). */
export function changedTopLevelKeys(before: TwinDocument, after: TwinDocument, patch: TwinDocument): string[] {
  return Object.keys(patch).filter((key) => ownValue(before, key) !== ownValue(after, key));
}
