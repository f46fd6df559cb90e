import { PublishRateLimiter } from '../src/publish-rate-limiter';
import { TokenBucket } from '@edgefleet/common';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
  });
});

describe('PublishRateLimiter', () => {
  it('drops over the limit and asks for a notice at most once a second per session', () => {
    const limiter = new PublishRateLimiter<object>(1, 1);
    const a = {};
    const b = {};
    expect(limiter.check(a, 0)).toBe('allow');
    expect(limiter.check(a, 10)).toBe('drop-and-notify');
    expect(limiter.check(a, 20)).toBe('drop');
    expect(limiter.check(b, 20)).toBe('allow');
    expect(limiter.check(a, 1005)).toBe('allow');
    expect(limiter.check(a, 1009)).toBe('drop');
    expect(limiter.check(a, 1010)).toBe('drop-and-notify');
    expect(limiter.check(a, 1020)).toBe('drop');
  });
});
