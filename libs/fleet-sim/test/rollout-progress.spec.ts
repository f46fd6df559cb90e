import { type RolloutView, parseDemoArgs, rolloutProgressLine } from '@edgefleet/fleet-sim';

function rollout(counts: Record<string, number>, currentWave: number, state = 'running'): RolloutView {
  return {
    id: 'r1',
    state,
    targetCount: 1000,
    currentWave,
    counts,
    waves: [10, 50, 100].map((percent, wave) => ({ wave, percent, total: 0, counts: {} })),
  };
}

describe('rolloutProgressLine', () => {
  it('fills the bar with devices that finished, and names the wave, the in-flight and the failed devices', () => {
    const line = rolloutProgressLine(rollout({ succeeded: 480, failed: 20, downloading: 100, installing: 20, queued: 380 }, 1), 21.4, 20);
    expect(line).toBe('wave 2/3 [██████████░░░░░░░░░░]  50%  480/1000 succeeded · 120 in flight · 20 failed · 21s');
  });

  it('is empty before anything finished and full when everything did', () => {
    expect(rolloutProgressLine(rollout({ queued: 1000 }, 0), 0, 10)).toBe('wave 1/3 [░░░░░░░░░░]   0%  0/1000 succeeded · 0 in flight · 0s');
    expect(rolloutProgressLine(rollout({ succeeded: 1000 }, 2, 'completed'), 40, 10)).toBe('wave 3/3 [██████████] 100%  1000/1000 succeeded · 0 in flight · 40s');
  });

  it('shows devices waiting offline', () => {
    expect(rolloutProgressLine(rollout({ pending_offline: 3, notified: 7 }, 0), 5, 10)).toContain('7 in flight · 3 offline');
  });
});

describe('parseDemoArgs', () => {
  it('defaults to 1,000 devices, staying up on a terminal and exiting otherwise', () => {
    expect(parseDemoArgs([], true)).toEqual({ devices: 1000, exitWhenDone: false });
    expect(parseDemoArgs([], false)).toEqual({ devices: 1000, exitWhenDone: true });
    expect(parseDemoArgs(['--devices', '50', '--exit'], true)).toEqual({ devices: 50, exitWhenDone: true });
  });

  it('names the bad option', () => {
    expect(() => parseDemoArgs(['--devices', '0'], true)).toThrow(/--devices/);
    expect(() => parseDemoArgs(['--devices', '2.5'], true)).toThrow(/--devices/);
    expect(() => parseDemoArgs(['--bogus'], true)).toThrow(/bogus/);
  });
});
