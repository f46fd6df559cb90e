import { thresholdBreach } from '../src/failure-threshold';

describe('failure threshold', () => {
  const threshold = { percent: 5, minSamples: 20 };

  it('does not judge before minSamples devices have finished', () => {
    expect(thresholdBreach({ final: 19, failed: 19 }, threshold)).toBeNull();
  });

  it('aborts only when the failed share is above the percentage', () => {
    expect(thresholdBreach({ final: 20, failed: 1 }, threshold)).toBeNull();
    expect(thresholdBreach({ final: 40, failed: 2 }, threshold)).toBeNull();
    expect(thresholdBreach({ final: 40, failed: 3 }, threshold)).toMatch(/3 of 40 .*7\.5% > 5%/);
  });

  it('never aborts without a threshold', () => {
    expect(thresholdBreach({ final: 100, failed: 100 }, undefined)).toBeNull();
  });
});
