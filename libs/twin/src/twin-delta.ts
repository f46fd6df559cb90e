import type { StateDeltaMessage, TwinDocument } from '@edgefleet/contracts';
import { isDocument, jsonEqual, ownValue, setOwn } from './json-document';

/**
 * The desired keys whose values differ from reported (CONTRACT §3 `state/delta`). Nested
 * objects are compared key by key, so the delta holds only the differing leaves; an array
 * or scalar that differs is taken whole. Keys only in reported are not part of the delta.
 */
export function computeDelta(desired: TwinDocument, reported: TwinDocument): TwinDocument {
  const delta: TwinDocument = {};
  for (const key of Object.keys(desired)) {
    const want = desired[key];
    const have = ownValue(reported, key);
    if (isDocument(want) && isDocument(have)) {
      const nested = computeDelta(want, have);
      if (Object.keys(nested).length > 0) setOwn(delta, key, nested);
    } else if (!jsonEqual(want, have)) {
      setOwn(delta, key, want);
    }
  }
  return delta;
}

/** The retained `state/delta` payload for a twin: `{version, delta}`, or '' (clears the retained message) when reported matches desired. */
export function deltaPayload(desiredVersion: number, desired: TwinDocument, reported: TwinDocument): string {
  const delta = computeDelta(desired, reported);
  if (Object.keys(delta).length === 0) return '';
  const message: StateDeltaMessage = { version: desiredVersion, delta };
  return JSON.stringify(message);
}
