import { hashSecret, newSecret, secretMatches } from '@edgefleet/common';

describe('secret tokens', () => {
  it('are random, prefixed and long', () => {
    const a = newSecret('efk_');
    expect(a).toMatch(/^efk_[A-Za-z0-9_-]{43}$/);
    expect(newSecret('efk_')).not.toBe(a);
  });

  it('match only their own hash', () => {
    const secret = newSecret();
    expect(secretMatches(secret, hashSecret(secret))).toBe(true);
    expect(secretMatches(secret + 'x', hashSecret(secret))).toBe(false);
    expect(secretMatches(secret, 'abcd')).toBe(false);
  });
});
