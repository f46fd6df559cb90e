import { type DeviceMessageSpec, accept, isJsonObject, reject } from './device-payload';
import { deviceTopicPrefix } from './topics';

/** A JSON value as it travels in a twin document. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A twin document (desired or reported state): always a JSON object at the top. */
export type TwinDocument = { [key: string]: JsonValue };

/**
 * Nesting deeper than this is refused: merging and diffing walk documents recursively, and
 * real device state is shallow (Azure IoT Hub allows 10 levels in twin properties).
 */
export const TWIN_MAX_DEPTH = 16;

/** `devices/{id}/state/reported`: a JSON merge patch (RFC 7396) on the reported state; `null` deletes a key. */
export const REPORTED_STATE_MESSAGE: DeviceMessageSpec<TwinDocument> = {
  pattern: 'devices/+/state/reported',
  acknowledgeAfterHandling: true,
  check: (value) => {
    if (!isJsonObject(value)) return reject('state/reported must be a JSON object');
    if (depthOf(value) > TWIN_MAX_DEPTH) return reject(`state/reported is nested deeper than ${TWIN_MAX_DEPTH} levels`);
    return accept(value as TwinDocument);
  },
};

/** Retained on `devices/{id}/state/desired`: the full desired state and its version. */
export interface DesiredStateMessage {
  version: number;
  state: TwinDocument;
}

/**
 * Retained on `devices/{id}/state/delta` while non-empty: the desired keys whose values
 * differ from the reported ones (nested objects compared key by key). An empty retained
 * message on the topic clears it once reported catches up with desired.
 */
export interface StateDeltaMessage {
  /** The desired version this delta was computed from. */
  version: number;
  delta: TwinDocument;
}

export function reportedStateTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}state/reported`;
}

export function desiredStateTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}state/desired`;
}

export function stateDeltaTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}state/delta`;
}

/** Levels of object/array nesting; a scalar is 0. Stops counting once past the limit. */
export function depthOf(value: unknown, limit = TWIN_MAX_DEPTH + 1): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, limit - 1));
    if (deepest >= limit) break;
  }
  return deepest + 1;
}
