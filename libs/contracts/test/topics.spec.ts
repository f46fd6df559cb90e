import {
  deviceErrorsTopic,
  deviceIdOfTopic,
  deviceTopicPrefix,
  isDeviceTopic,
  isDeviceTopicFilter,
  isValidTopicFilter,
  compileTopicFilter,
  topicMatches,
} from '@edgefleet/contracts';

describe('device topics (CONTRACT §3)', () => {
  it('builds the prefix and the errors topic', () => {
    expect(deviceTopicPrefix('cam-1')).toBe('devices/cam-1/');
    expect(deviceErrorsTopic('cam-1')).toBe('devices/cam-1/errors');
  });

  it.each([
    ['devices/cam-1/state/reported', true],
    ['devices/cam-1/jobs/j1/status', true],
    ['devices/cam-1/x', true],
    ['devices/cam-1/', false],
    ['devices/cam-1', false],
    ['devices-cam-1/state/reported', false],
    ['devices/cam-1-state/reported', false],
    ['devices/cam-10/state/reported', false],
    ['devices/cam-2/state/reported', false],
    ['devices/cam-1/+/x', false],
    ['devices/cam-1/#', false],
    ['other/cam-1/x', false],
    ['$SYS/broker', false],
  ])('publish to %s allowed for cam-1: %s', (topic, allowed) => {
    expect(isDeviceTopic('cam-1', topic)).toBe(allowed);
  });

  it.each([
    ['devices/cam-1/#', true],
    ['devices/cam-1/jobs/+', true],
    ['devices/cam-1/state/desired', true],
    ['devices/cam-1/a#', false],
    ['devices/cam-1/#/x', false],
    ['devices/cam-1/a+', false],
    ['devices/+/state/desired', false],
    ['devices/#', false],
    ['#', false],
    ['devices/cam-10/#', false],
    ['$share/g/devices/cam-1/x', false],
  ])('subscribe to %s allowed for cam-1: %s', (filter, allowed) => {
    expect(isDeviceTopicFilter('cam-1', filter)).toBe(allowed);
  });

  it('validates topic filters by MQTT 3.1.1 §4.7.1', () => {
    expect(isValidTopicFilter('a/+/b/#')).toBe(true);
    expect(isValidTopicFilter('')).toBe(false);
    expect(isValidTopicFilter('a/b\u0000')).toBe(false);
  });

  it('finds the device id of a device topic', () => {
    expect(deviceIdOfTopic('devices/cam-1/state/reported')).toBe('cam-1');
    expect(deviceIdOfTopic('devices/cam-1')).toBeNull();
    expect(deviceIdOfTopic('other/cam-1/x')).toBeNull();
    expect(deviceIdOfTopic('devicesx/cam-1/x')).toBeNull();
    expect(deviceIdOfTopic('devices//state/reported')).toBeNull();
    expect(deviceIdOfTopic('devices/cam-1/')).toBe('cam-1');
  });
});

/** MQTT 3.1.1 §4.7 matching spelled out level by level, as the reference the fast matchers are held to. */
function referenceMatch(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    if (filterLevels[i] === '#') return true;
    if (i >= topicLevels.length) return false;
    if (filterLevels[i] !== '+' && filterLevels[i] !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

const filters = ['devices/+/state/reported', 'devices/+/jobs/+/status', 'devices/d1/#', '#', '+', '+/+', '/+', 'a/+/#', 'a/#', 'a/b', 'a/', 'devices/d.1/x', 'sport/tennis/+', 'sport/tennis/player1'];
const topics = ['devices/d1/state/reported', 'devices/d1/state/reported/x', 'devices//state/reported', 'devices/d1/jobs/j9/status', 'devices/d1', 'devices/d1/', 'devices/dx1/x', 'devices/d.1/x', 'a', 'a/', 'a/b', 'a/bc', 'a/b/c/d', '', '/', '/x', 'sport/tennis/player1', 'sport/tennis/player', 'sport/tennis'];

describe('topicMatches', () => {
  it.each(filters)('matches as MQTT 3.1.1 §4.7 defines for %s', (filter) => {
    for (const topic of topics) expect([topic, topicMatches(filter, topic)]).toEqual([topic, referenceMatch(filter, topic)]);
  });

  it('spells out the parent-level and empty-level cases', () => {
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+', 'a/')).toBe(true);
    expect(topicMatches('a/+', 'a')).toBe(false);
    expect(topicMatches('a/b', 'a/bc')).toBe(false);
    expect(topicMatches('+/+', '/')).toBe(true);
  });
});

describe('compileTopicFilter', () => {
  it.each(filters)('matches exactly what topicMatches does for %s', (filter) => {
    const matches = compileTopicFilter(filter);
    for (const topic of topics) expect([topic, matches(topic)]).toEqual([topic, topicMatches(filter, topic)]);
  });
});
