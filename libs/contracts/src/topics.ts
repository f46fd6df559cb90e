/**
 * Device topic tree (CONTRACT §3). Every device topic sits under `devices/{id}/`, which
 * is also the only place a device may publish or subscribe.
 */
export const DEVICE_TOPIC_ROOT = 'devices';

export function deviceTopicPrefix(deviceId: string): string {
  return `${DEVICE_TOPIC_ROOT}/${deviceId}/`;
}

/** Where the server tells a device that it refused something the device sent: `{topic, message}`. */
export function deviceErrorsTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}errors`;
}

export interface DeviceErrorNotice {
  topic: string;
  message: string;
}

/** Whether `topic` contains a wildcard character (MQTT 3.1.1 §4.7.1.2, §4.7.1.3). */
export function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/**
 * Whether a device may publish to `topic`: below its own prefix, with at least one more
 * level, and no wildcards (a PUBLISH topic name must not contain them, MQTT 3.1.1 §3.3.2.1).
 */
export function isDeviceTopic(deviceId: string, topic: string): boolean {
  return startsWithDevicePrefix(deviceId, topic) && !hasWildcard(topic);
}

const SLASH = 0x2f;

/** `topic` (a name or a filter) is `devices/{deviceId}/` and more, checked in place: this runs for every device message. */
function startsWithDevicePrefix(deviceId: string, topic: string): boolean {
  const idStart = DEVICE_TOPIC_ROOT.length + 1;
  const idEnd = idStart + deviceId.length;
  return (
    topic.length > idEnd + 1 &&
    topic.startsWith(DEVICE_TOPIC_ROOT) &&
    topic.charCodeAt(idStart - 1) === SLASH &&
    topic.startsWith(deviceId, idStart) &&
    topic.charCodeAt(idEnd) === SLASH
  );
}

/**
 * Whether a device may subscribe to `filter`: the filter may use wildcards, but only in
 * levels below its own prefix, so it can never match another device's topics. Because
 * the prefix is spelled out literally (no wildcard in `devices/{id}/`), everything it
 * matches starts with that prefix.
 */
export function isDeviceTopicFilter(deviceId: string, filter: string): boolean {
  return startsWithDevicePrefix(deviceId, filter) && isValidTopicFilter(filter);
}

/**
 * MQTT 3.1.1 §4.7.1: '#' only as the whole last level; '+' only as a whole level;
 * no NUL character (§1.5.3).
 */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level.includes('#')) return level === '#' && index === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

/** The device id a topic belongs to, or null when it is not a device topic. */
export function deviceIdOfTopic(topic: string): string | null {
  // `devices/{id}/…`: a non-empty id followed by at least one more level (found without splitting: once per message).
  const idStart = DEVICE_TOPIC_ROOT.length + 1;
  if (!topic.startsWith(DEVICE_TOPIC_ROOT) || topic[idStart - 1] !== '/') return null;
  const idEnd = topic.indexOf('/', idStart);
  return idEnd > idStart ? topic.slice(idStart, idEnd) : null;
}
