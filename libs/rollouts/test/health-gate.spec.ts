import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { InvalidInputError } from '@edgefleet/common';
import { type BakeObservation, impliedBake, isImplied, mostWithin, newBake, stepBake } from '../src/health/device-bake';
import { MISSING, checkPasses, readPath } from '../src/health/health-check';
import { HealthGateDto } from '../src/health/health.dto';
import { type HealthRequest, type HealthSpec, buildHealth, describeCheck } from '../src/health/health-spec';
import { type WaveHealth, decideGate } from '../src/health/wave-gate';

const request: HealthRequest = { bakeSeconds: 10, checks: [{ path: 'health.app', op: 'eq', value: 'ok' }], minEvaluated: 3, maxUnhealthyPercent: 10, action: 'revert' };

describe('health block validation', () => {
  it('fills defaults', () => {
    expect(buildHealth(request)).toEqual({ ...request, minEvaluatedPercent: 100, failureLimit: 1, maxBakeSeconds: 620, maxInconclusivePercent: 0, inconclusiveAction: 'pause' });
  });

  it.each([
    [{ checks: [{ path: 'health..app', op: 'eq', value: 'ok' }] }, 'strategy.health.checks[0].path'],
    [{ checks: [{ path: 'metrics.errorRate', op: 'lt', value: 'low' }] }, 'strategy.health.checks[0].value'],
    [{ checks: [{ path: 'a', op: 'eq', value: { nested: true } }] }, 'strategy.health.checks[0].value'],
    [{ maxBakeSeconds: 5 }, 'strategy.health.maxBakeSeconds'],
  ])('refuses %j naming %s', (change, field) => {
    let thrown: unknown;
    try {
      buildHealth({ ...request, ...change } as HealthRequest);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as Error).message.startsWith(`${field}:`)).toBe(true);
  });

  it('field validation names the field at fault', () => {
    const errors = (body: object) => validateSync(plainToInstance(HealthGateDto, body), { whitelist: true, forbidNonWhitelisted: true });
    expect(errors(request)).toEqual([]);
    expect(errors({ ...request, action: 'rollback' }).map((e) => e.property)).toEqual(['action']);
    expect(errors({ ...request, minEvaluated: 0 }).map((e) => e.property)).toEqual(['minEvaluated']);
    const nested = errors({ ...request, checks: [{ path: 'a', op: 'approx', value: 1 }] });
    expect(nested[0].property).toBe('checks');
    expect(nested[0].children?.[0].children?.map((e) => e.property)).toEqual(['op']);
  });
});

describe('check evaluation', () => {
  it('reads dot paths, telling a missing value from a reported null', () => {
    const reported = { health: { app: 'ok', camera: null }, metrics: { errorRate: 0.01 } };
    expect(readPath(reported, 'health.app')).toBe('ok');
    expect(readPath(reported, 'health.camera')).toBeNull();
    expect(readPath(reported, 'health.disk')).toBe(MISSING);
    expect(readPath(reported, 'health.app.x')).toBe(MISSING);
    expect(readPath(reported, 'metrics.errorRate')).toBe(0.01);
  });

  it.each([
    ['eq', 'ok', 'ok', true],
    ['eq', 'ok', 'crash', false],
    ['ne', 'crash', 'ok', true],
    ['eq', null, null, true],
    ['lt', 0.02, 0.01, true],
    ['lt', 0.02, 0.02, false],
    ['lte', 0.02, 0.02, true],
    ['gt', 5, 6, true],
    ['gte', 5, 4, false],
    ['lt', 0.02, '0.01', false],
    ['eq', 1, { a: 1 }, false],
  ] as const)('%s %j against %j → %s', (op, value, actual, passes) => {
    expect(checkPasses({ path: 'p', op, value }, actual)).toBe(passes);
  });
});

describe('device bake', () => {
  const spec: HealthSpec = buildHealth({ ...request, bakeSeconds: 10, maxBakeSeconds: 60 });
  const t0 = new Date('2026-12-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const online = (values: unknown[]): BakeObservation => ({ succeededAt: t0, online: true, lastSeenAt: t0, values });

  it('counts only online time after success, and is healthy once the bake has passed with data', () => {
    let record = stepBake(spec, newBake(), online(['ok']), at(0))!;
    expect(record).toMatchObject({ health: 'pending', onlineSince: at(0), seenMask: 1 });
    expect(stepBake(spec, record, online(['ok']), at(4))).toBeNull(); // nothing to write while it stays online
    // Offline from 4 s (its last-seen time) to 30 s: only 4 s baked.
    record = stepBake(spec, record, { succeededAt: t0, online: false, lastSeenAt: at(4), values: ['ok'] }, at(30))!;
    expect(record).toMatchObject({ health: 'pending', bakedMs: 4000, onlineSince: null });
    record = stepBake(spec, record, online(['ok']), at(31))!;
    expect(record.onlineSince).toEqual(at(31));
    expect(stepBake(spec, record, online(['ok']), at(36))).toBeNull();
    record = stepBake(spec, record, online(['ok']), at(37))!;
    expect(record).toMatchObject({ health: 'healthy', bakedMs: 10_000 });
    expect(stepBake(spec, record, online(['crash']), at(38))).toBeNull(); // a verdict is final
  });

  it('needs no record for a device online since its success with nothing failing: it bakes from the success and is written once, at its verdict', () => {
    const observed = online(['ok']);
    const implied = impliedBake(observed)!;
    expect(implied).toMatchObject({ health: 'pending', onlineSince: t0, bakedMs: 0 });
    const passing = stepBake(spec, implied, observed, at(4))!; // the checks read: seenMask changed, nothing else
    expect(isImplied(passing, observed)).toBe(true);
    const verdict = stepBake(spec, implied, observed, at(10))!;
    expect(verdict).toMatchObject({ health: 'healthy', bakedMs: 10_000 });
    expect(isImplied(verdict, observed)).toBe(false);
    // What an implied bake cannot carry is written: a failing read, a break in its online time.
    expect(isImplied(stepBake(spec, implied, online(['crash']), at(4))!, observed)).toBe(false);
    const left = { ...observed, online: false, lastSeenAt: at(3) };
    expect(stepBake(spec, implied, left, at(5))).toMatchObject({ bakedMs: 3000, onlineSince: null });
    expect(isImplied(stepBake(spec, implied, left, at(5))!, left)).toBe(false);
    // A session begun since the success: when it went away is not known, so its bake starts when a pass sees it.
    expect(impliedBake({ ...observed, connectsSinceSuccess: [at(2)] })).toBeNull();
  });

  it('is unhealthy when a check fails while online, after failureLimit failures in a row', () => {
    const twice = { ...spec, failureLimit: 2 };
    let record = stepBake(twice, newBake(), online(['crash']), at(1))!;
    expect(record).toMatchObject({ health: 'pending', failures: 1 });
    record = stepBake(twice, record, online(['ok']), at(2))!;
    expect(record.failures).toBe(0);
    record = stepBake(twice, record, online(['crash']), at(3))!;
    record = stepBake(twice, record, online(['crash']), at(4))!;
    expect(record.health).toBe('unhealthy');
    expect(record.samples).toEqual([{ path: 'health.app', op: 'eq', value: 'ok', actual: 'crash', passed: false, at: at(4).toISOString() }]);
  });

  it('never holds a stale report against an offline device', () => {
    const record = stepBake(spec, newBake(), { succeededAt: t0, online: false, lastSeenAt: t0, values: ['crash'] }, at(5));
    expect(record).toBeNull();
  });

  it('is inconclusive when the upper time limit passes without enough data', () => {
    const record = stepBake(spec, newBake(), online([MISSING]), at(5))!;
    expect(record).toMatchObject({ health: 'pending', seenMask: 0 });
    expect(stepBake(spec, record, online([MISSING]), at(30))).toBeNull(); // baked, but never read the check
    expect(stepBake(spec, record, online([MISSING]), at(60))).toMatchObject({ health: 'inconclusive' });
  });

  it('records a failing dry-run check and never acts on it', () => {
    const dry = buildHealth({ ...request, bakeSeconds: 2, checks: [{ path: 'health.app', op: 'eq', value: 'ok', dryRun: true }] });
    let record = stepBake(dry, newBake(), online(['crash']), at(0))!;
    expect(record).toMatchObject({ health: 'pending', failures: 0 });
    expect(record.samples[0]).toMatchObject({ dryRun: true, passed: false, actual: 'crash' });
    record = stepBake(dry, record, online(['crash']), at(3))!;
    expect(record.health).toBe('healthy');
  });
});

describe('relative checks', () => {
  const t0 = new Date('2026-12-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const spec = buildHealth({ ...request, bakeSeconds: 5, checks: [{ path: 'metrics.errorRate', op: 'lte', relative: { factor: 1.5 } }] });
  const seen = (value: unknown, baseline: unknown): BakeObservation => ({ succeededAt: t0, online: true, lastSeenAt: t0, values: [value], baselines: [baseline] });

  it('fills factor 1 and offset 0, refuses a value or an unordered op, and reads as baseline × factor + offset', () => {
    expect(buildHealth({ ...request, checks: [{ path: 'a', op: 'gt', relative: { offset: 2 } }] }).checks).toEqual([{ path: 'a', op: 'gt', value: null, relative: { factor: 1, offset: 2 } }]);
    expect(() => buildHealth({ ...request, checks: [{ path: 'a', op: 'eq', relative: { factor: 2 } }] })).toThrow(/checks\[0\]\.op: a relative check needs an ordered op/);
    expect(() => buildHealth({ ...request, checks: [{ path: 'a', op: 'lt', value: 3, relative: { factor: 2 } }] })).toThrow(/checks\[0\]\.value: must be absent/);
    expect(describeCheck(spec.checks[0])).toBe('metrics.errorRate lte 1.5 × before');
  });

  it('compares with the device’s own baseline and records it', () => {
    const ok = stepBake(spec, newBake(), seen(0.3, 0.2), at(0))!;
    expect(ok.samples).toEqual([expect.objectContaining({ value: 0.3, baseline: 0.2, actual: 0.3, passed: true })]);
    const bad = stepBake(spec, newBake(), seen(0.31, 0.2), at(0))!;
    expect(bad).toMatchObject({ health: 'unhealthy', samples: [expect.objectContaining({ value: 0.3, baseline: 0.2, passed: false })] });
  });

  it('a device without a numeric baseline skips the check (it is not needed for a healthy verdict)', () => {
    const record = stepBake(spec, newBake(), seen(5, undefined), at(0))!;
    expect(record.samples).toEqual([]);
    expect(stepBake(spec, record, seen(5, 'n/a'), at(6))).toMatchObject({ health: 'healthy' });
  });
});

describe('signals', () => {
  const t0 = new Date('2026-12-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const spec = buildHealth({ ...request, checks: [], signals: { wentDark: { afterSeconds: 30 }, versionRegression: {} } });
  const seen = (extra: Partial<BakeObservation>): BakeObservation => ({ succeededAt: t0, online: true, lastSeenAt: t0, values: [], expectedVersion: '2.0.0', firmwareVersion: '2.0.0', ...extra });

  it('went dark: offline longer than afterSeconds during the bake is unhealthy; shorter is not', () => {
    const record = stepBake(spec, newBake(), seen({}), at(0))!;
    expect(stepBake(spec, record, seen({ online: false, lastSeenAt: at(1) }), at(20))).toMatchObject({ health: 'pending' });
    const dark = stepBake(spec, record, seen({ online: false, lastSeenAt: at(1) }), at(40))!;
    expect(dark.health).toBe('unhealthy');
    expect(dark.samples).toContainEqual(expect.objectContaining({ signal: 'wentDark', actual: 39, value: 30, passed: false }));
  });

  it('version regression: a device reporting another version again is unhealthy', () => {
    const record = stepBake(spec, newBake(), seen({}), at(0))!;
    const back = stepBake(spec, record, seen({ firmwareVersion: '1.0.0' }), at(2))!;
    expect(back).toMatchObject({ health: 'unhealthy', samples: [expect.objectContaining({ signal: 'versionRegression', actual: '1.0.0', value: '2.0.0' })] });
  });

  it('a dry-run signal is recorded, never acted on', () => {
    const dry = buildHealth({ ...request, bakeSeconds: 5, checks: [], signals: { versionRegression: { dryRun: true } } });
    const record = stepBake(dry, stepBake(dry, newBake(), seen({}), at(0))!, seen({ firmwareVersion: '1.0.0' }), at(1))!;
    expect(record).toMatchObject({ health: 'pending', samples: [expect.objectContaining({ signal: 'versionRegression', dryRun: true })] });
    expect(stepBake(dry, record, seen({ firmwareVersion: '1.0.0' }), at(6))).toMatchObject({ health: 'healthy' });
  });

  it('reconnect loop: more than maxReconnects sessions within any withinSeconds is unhealthy; spread out or a dry run is not', () => {
    const loop = buildHealth({ ...request, bakeSeconds: 60, checks: [], signals: { reconnectLoop: { maxReconnects: 2, withinSeconds: 10 } } });
    const record = stepBake(loop, newBake(), seen({}), at(0))!;
    const spread = [at(1), at(12), at(24), at(36)];
    expect(stepBake(loop, record, seen({ connectsSinceSuccess: spread }), at(40))).toBeNull();
    const looping = stepBake(loop, record, seen({ connectsSinceSuccess: [at(1), at(20), at(22), at(25)] }), at(26))!;
    expect(looping).toMatchObject({ health: 'unhealthy', samples: [expect.objectContaining({ signal: 'reconnectLoop', path: 'reconnects', value: 2, actual: 3, passed: false })] });
    const dry = buildHealth({ ...request, bakeSeconds: 60, checks: [], signals: { reconnectLoop: { maxReconnects: 2, withinSeconds: 10, dryRun: true } } });
    expect(stepBake(dry, record, seen({ connectsSinceSuccess: [at(20), at(22), at(25)] }), at(26))).toMatchObject({ health: 'pending', samples: [expect.objectContaining({ dryRun: true })] });
  });

  it('counts the most session starts in any window', () => {
    expect(mostWithin([], 1000)).toBe(0);
    expect(mostWithin([at(0), at(1), at(2), at(10), at(10.5)], 1000)).toBe(2);
    expect(mostWithin([at(0), at(1), at(2), at(10), at(10.5)], 2000)).toBe(3);
  });
});

describe('wave gate', () => {
  const spec = buildHealth(request);
  const wave = (counts: Partial<WaveHealth>): WaveHealth => ({ wave: 0, settled: true, succeeded: 10, pending: 0, healthy: 0, unhealthy: 0, inconclusive: 0, ...counts });

  it('waits for minEvaluated verdicts before tripping', () => {
    expect(decideGate(spec, wave({ settled: false, unhealthy: 2, pending: 8 }))).toEqual({ action: 'wait' });
    expect(decideGate(spec, wave({ settled: false, unhealthy: 3, pending: 7 }))).toMatchObject({ action: 'revert', rule: 'maxUnhealthyPercent' });
  });

  it('trips on share or count, with the spec action', () => {
    expect(decideGate(spec, wave({ healthy: 9, unhealthy: 1 }))).toMatchObject({ action: 'promote' });
    expect(decideGate({ ...spec, action: 'abort' }, wave({ healthy: 8, unhealthy: 2 }))).toMatchObject({ action: 'abort', reason: expect.stringMatching(/20\.0% > maxUnhealthyPercent 10%/) });
    expect(decideGate({ ...spec, maxUnhealthy: 0 }, wave({ healthy: 9, unhealthy: 1 }))).toMatchObject({ action: 'revert', rule: 'maxUnhealthy' });
  });

  it('promotes only once the wave settled and enough devices finished their bake (count and share)', () => {
    expect(decideGate(spec, wave({ settled: false, healthy: 5, pending: 5 }))).toEqual({ action: 'wait' });
    expect(decideGate(spec, wave({ healthy: 9, pending: 1 }))).toEqual({ action: 'wait' });
    expect(decideGate({ ...spec, minEvaluatedPercent: 80 }, wave({ healthy: 8, pending: 2 }))).toMatchObject({ action: 'promote' });
    // A wave smaller than minEvaluated decides once all of it has a verdict.
    expect(decideGate(spec, wave({ succeeded: 2, healthy: 2 }))).toMatchObject({ action: 'promote' });
    expect(decideGate(spec, wave({ succeeded: 2, healthy: 1, unhealthy: 1 }))).toMatchObject({ action: 'revert' });
    // Nobody succeeded (the failure threshold judges installs): nothing to bake.
    expect(decideGate(spec, wave({ succeeded: 0 }))).toMatchObject({ action: 'promote' });
  });

  it('applies the inconclusive action (pause by default)', () => {
    expect(decideGate(spec, wave({ healthy: 9, inconclusive: 1 }))).toMatchObject({ action: 'pause', rule: 'maxInconclusivePercent' });
    expect(decideGate({ ...spec, maxInconclusivePercent: 10 }, wave({ healthy: 9, inconclusive: 1 }))).toMatchObject({ action: 'promote' });
    expect(decideGate({ ...spec, inconclusiveAction: 'promote' }, wave({ healthy: 5, inconclusive: 5 }))).toMatchObject({ action: 'promote' });
  });
});
