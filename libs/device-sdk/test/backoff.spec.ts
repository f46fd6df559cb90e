import { Backoff } from '@edgefleet/device-sdk';

describe('Backoff (exponential, full jitter)', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };

  it('doubles the ceiling per attempt up to the cap, and draws each delay under it', () => {
    const highest = new Backoff(options, () => 0.999_999);
    expect(Array.from({ length: 6 }, () => highest.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const lowest = new Backoff(options, () => 0);
    expect(Array.from({ length: 3 }, () => lowest.next())).toEqual([0, 0, 0]);
  });

  it('spreads delays across the whole window rather than clustering them', () => {
    const delays = Array.from({ length: 2_000 }, () => {
      const backoff = new Backoff(options);
      for (let i = 0; i < 4; i++) backoff.next();
      return backoff.next();
    });
    const inFirstQuarter = delays.filter((d) => d < 250).length / delays.length;
    const inLastQuarter = delays.filter((d) => d >= 750).length / delays.length;
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    expect(inFirstQuarter).toBeGreaterThan(0.15);
    expect(inLastQuarter).toBeGreaterThan(0.15);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff(options, () => 0.999_999);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
    expect(backoff.attempts).toBe(1);
  });
});
