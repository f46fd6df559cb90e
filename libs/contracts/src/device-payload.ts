/**
 * Checks for JSON payloads devices send (CONTRACT §3). The contracts lib depends on nothing,
 * so these are small hand-written checks rather than a schema library; the gateway runs the
 * check of a message's spec before any handler sees the payload, and answers a failure on
 * `devices/{id}/errors`.
 */
import { findUnstorable } from './storable-json';

export type PayloadResult<T> = { ok: true; value: T } | { ok: false; error: string };

export type PayloadCheck<T> = (value: unknown) => PayloadResult<T>;

/** One kind of device → server message: the topic filter it arrives on and how its payload is checked. */
export interface DeviceMessageSpec<T> {
  /** MQTT topic filter with `+` for the device id (and other ids), e.g. `devices/+/state/reported`. */
  readonly pattern: string;
  readonly check: PayloadCheck<T>;
  /**
   * The device's QoS 1 PUBACK waits until the server has handled the message (for a reported
   * state: until it is in Postgres), so a server crash or a database outage before then makes
   * the device send it again. For messages that must never be lost once acknowledged (job
   * status, reported state); others are acknowledged on receipt and handled meanwhile. QoS 0
   * messages have no acknowledgement and are handled as they come.
   */
  readonly acknowledgeAfterHandling?: boolean;
}

export function accept<T>(value: T): PayloadResult<T> {
  return { ok: true, value };
}

export function reject<T = never>(error: string): PayloadResult<T> {
  return { ok: false, error };
}

/**
 * A device payload's check: first that it holds nothing Postgres or JSON cannot store
 * (`findUnstorable`), then the spec's own check. Every transport runs this one.
 */
export function checkDevicePayload<T>(spec: DeviceMessageSpec<T>, value: unknown): PayloadResult<T> {
  const unstorable = findUnstorable(value);
  if (unstorable) return reject(`payload refused: ${unstorable}`);
  return spec.check(value);
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a payload as JSON; a payload that is not JSON is a failed check, not an exception. */
export function parseJsonPayload(payload: Buffer | string): PayloadResult<unknown> {
  try {
    return accept(JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8')) as unknown);
  } catch {
    return reject('payload is not valid JSON');
  }
}

/**
 * Whether `topic` matches the MQTT topic filter `filter` (MQTT 3.1.1 §4.7: `+` one level,
 * `#` the rest, including the parent level). Walks both strings in place, level by level,
 * without splitting them: the broker asks this for device messages.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let filterStart = 0;
  let topicStart = 0;
  for (;;) {
    const filterEnd = levelEnd(filter, filterStart);
    if (isLevel(filter, filterStart, filterEnd, HASH)) return true;
    const topicEnd = levelEnd(topic, topicStart);
    if (!isLevel(filter, filterStart, filterEnd, PLUS) && !sameLevel(filter, filterStart, filterEnd, topic, topicStart, topicEnd)) return false;
    const filterDone = filterEnd === filter.length;
    if (topicEnd === topic.length) return filterDone || isLevel(filter, filterEnd + 1, filter.length, HASH);
    if (filterDone) return false;
    filterStart = filterEnd + 1;
    topicStart = topicEnd + 1;
  }
}

const PLUS = 0x2b;
const HASH = 0x23;

function levelEnd(name: string, start: number): number {
  const end = name.indexOf('/', start);
  return end < 0 ? name.length : end;
}

function isLevel(name: string, start: number, end: number, char: number): boolean {
  return end - start === 1 && name.charCodeAt(start) === char;
}

function sameLevel(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  return true;
}

/**
 * `topicMatches` for one filter, compiled once into a regular expression: the gateway tests
 * every device message against its handler patterns, and splitting both strings each time
 * was the costliest function on that path.
 */
export function compileTopicFilter(filter: string): (topic: string) => boolean {
  let source = '';
  filter.split('/').forEach((level, index) => {
    // `#` also matches the parent level itself (MQTT 3.1.1 §4.7.1.2).
    if (level === '#') return void (source += index === 0 ? '.*' : '(?:/.*)?');
    if (index > 0) source += '/';
    source += level === '+' ? '[^/]*' : level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  const expression = new RegExp(`^${source}$`);
  return (topic) => expression.test(topic);
}

/** The values of a topic's `+` levels in order, e.g. `devices/+/jobs/+/status` on `devices/d1/jobs/j9/status` → `['d1', 'j9']`. */
export function topicWildcards(filter: string, topic: string): string[] {
  const topicLevels = topic.split('/');
  return filter.split('/').flatMap((level, index) => (level === '+' ? [topicLevels[index] ?? ''] : []));
}
