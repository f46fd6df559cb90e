import { isValidDeviceId, parseTag, roleSatisfies, tagsFromList, tagsToList } from '@edgefleet/contracts';

describe('tags', () => {
  it('parses key:value, keeping colons in the value', () => {
    expect(parseTag('site:syd')).toEqual({ key: 'site', value: 'syd' });
    expect(parseTag('url:http://x')).toEqual({ key: 'url', value: 'http://x' });
  });

  it.each(['site', ':syd', 'site:', 'bad key:x', ''])('rejects %p', (tag) => {
    expect(parseTag(tag)).toBeNull();
  });

  it('converts between the object and the stored list form', () => {
    const tags = { zone: 'b', site: 'syd' };
    expect(tagsToList(tags)).toEqual(['site:syd', 'zone:b']);
    expect(tagsFromList(tagsToList(tags))).toEqual(tags);
  });
});

describe('device ids', () => {
  it('must be usable as an MQTT topic level', () => {
    expect(isValidDeviceId('cam-01.a_b:c')).toBe(true);
    for (const bad of ['a/b', 'a+b', 'a#', '', '-lead', 'x'.repeat(129), 'sp ace']) expect(isValidDeviceId(bad)).toBe(false);
  });
});

describe('roles', () => {
  it('are ordered admin > operator > viewer', () => {
    expect(roleSatisfies('admin', 'operator')).toBe(true);
    expect(roleSatisfies('operator', 'operator')).toBe(true);
    expect(roleSatisfies('viewer', 'operator')).toBe(false);
    expect(roleSatisfies('operator', 'admin')).toBe(false);
  });
});
