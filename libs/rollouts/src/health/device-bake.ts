import { MISSING, type Observed, checkPasses } from './health-check';
import type { CheckValue, DeviceHealth, HealthCheck, HealthOp, HealthSpec, SignalName } from './health-spec';

/** One check as it was read: what it wanted, what the device reported, and whether that passed. */
export interface HealthSample {
  path: string;
  op: HealthOp;
  value: CheckValue;
  actual: unknown;
  passed: boolean;
  at: string;
  dryRun?: boolean;
  /** A relative check's baseline: the device's own value when its job was dispatched (`value` is computed from it). */
  baseline?: number;
  /** Set for a signal's sample: `offlineSeconds lte N` (wentDark), `firmware.version eq V` (versionRegression), `reconnects lte N` (reconnectLoop). */
  signal?: SignalName;
}

/** A device's bake as stored on its job; written only when one of these changes. */
export interface BakeRecord {
  health: DeviceHealth;
  /** Online milliseconds baked before `onlineSince`. */
  bakedMs: number;
  /** Online and baking since; null while offline. */
  onlineSince: Date | null;
  /** Failing evaluations in a row. */
  failures: number;
  /** Bit i: check i has been read at least once during the bake. */
  seenMask: number;
  /** The samples of the evaluation that last changed the record (the deciding ones once there is a verdict). */
  samples: HealthSample[];
}

export interface BakeObservation {
  /** When success was confirmed: the bake's start. */
  succeededAt: Date;
  online: boolean;
  /** When the device was last seen (its disconnect time while offline). */
  lastSeenAt: Date | null;
  /** The reported value at each check's path, MISSING when absent. */
  values: Observed[];
  /** Firmware rollouts: the version the device reports now, and the artifact's. */
  firmwareVersion?: string | null;
  expectedVersion?: string | null;
  /** Relative checks: the device's value at each check's path when its job was dispatched (by check index; undefined for the others). */
  baselines?: unknown[];
  /** Sessions the device began after its success was confirmed, oldest first. */
  connectsSinceSuccess?: Date[];
}

export function newBake(): BakeRecord {
  return { health: 'pending', bakedMs: 0, onlineSince: null, failures: 0, seenMask: 0, samples: [] };
}

/**
 * The bake of a job with no record yet, as far as it follows from the job and the device alone:
 * online and baking since its success was confirmed, when the device has begun no session
 * since (the install's own reboot comes before the success). Null when it has: its bake starts
 * at the first pass that sees it (`newBake`). Such a bake is not written while `isImplied`
 * holds, so a device that stays online and healthy costs one write, its verdict.
 */
export function impliedBake(observation: BakeObservation): BakeRecord | null {
  if (observation.connectsSinceSuccess?.length) return null;
  return { ...newBake(), onlineSince: observation.succeededAt };
}

/**
 * Whether `record` says no more than `impliedBake` does: still pending, baking since the
 * success without a break, nothing failing. Which checks were read (`seenMask`) is not kept
 * then: every pass reads them again, so a verdict needs each one read at its own pass.
 */
export function isImplied(record: BakeRecord, observation: BakeObservation): boolean {
  return (
    record.health === 'pending' &&
    record.failures === 0 &&
    record.bakedMs === 0 &&
    record.onlineSince?.getTime() === observation.succeededAt.getTime() &&
    record.samples.every((sample) => sample.passed)
  );
}

/**
 * Advances one device's bake to `now`. The clock counts only online time after success was
 * confirmed; checks are read only while the device is online (offline is never unhealthy: what
 * it reported before it left is not evidence about now). A verdict, once given, is final.
 * Returns null when nothing changed (the row is not written).
 */
export function stepBake(spec: HealthSpec, record: BakeRecord, observation: BakeObservation, now: Date): BakeRecord | null {
  if (record.health !== 'pending') return null;
  let bakedMs = record.bakedMs;
  let onlineSince = record.onlineSince;
  if (onlineSince) {
    const until = observation.online ? now : observation.lastSeenAt && observation.lastSeenAt > onlineSince ? observation.lastSeenAt : onlineSince;
    if (!observation.online) {
      bakedMs += Math.max(0, until.getTime() - onlineSince.getTime());
      onlineSince = null;
    }
  } else if (observation.online) {
    onlineSince = now;
  }
  const onlineMs = bakedMs + (onlineSince ? Math.max(0, now.getTime() - onlineSince.getTime()) : 0);

  const checks = devicesChecks(spec, observation);
  let failures = record.failures;
  let seenMask = record.seenMask;
  let samples = record.samples;
  let dryRunNewlyFailed = false;
  if (observation.online) {
    const at = now.toISOString();
    const read: HealthSample[] = [];
    let failing = false;
    let anyRead = false;
    checks.forEach((check, index) => {
      const actual = observation.values[index];
      if (!check || actual === MISSING) return;
      const passed = checkPasses(check, actual);
      const baseline = check.relative ? { baseline: observation.baselines![index] as number } : {};
      read.push({ path: check.path, op: check.op, value: check.value, actual, passed, at, ...baseline, ...(check.dryRun ? { dryRun: true } : {}) });
      if (check.dryRun) {
        if (!passed && !record.samples.some((s) => s.dryRun && s.path === check.path && !s.passed)) dryRunNewlyFailed = true;
        return;
      }
      anyRead = true;
      seenMask |= 1 << index;
      if (!passed) failing = true;
    });
    if (failing) failures++;
    else if (anyRead) failures = 0;
    if (read.length) samples = [...read, ...record.samples.filter((sample) => sample.signal)];
  }

  for (const signal of signalFailures(spec, observation, now)) {
    if (!signal.dryRun) failures = Math.max(failures, spec.failureLimit);
    else if (!record.samples.some((s) => s.signal === signal.signal)) dryRunNewlyFailed = true;
    samples = [...samples.filter((s) => s.signal !== signal.signal), signal];
  }

  let health: DeviceHealth = 'pending';
  const needed = checks.reduce((mask, check, index) => (!check || check.dryRun ? mask : mask | (1 << index)), 0);
  if (failures >= spec.failureLimit) health = 'unhealthy';
  else if (onlineMs >= spec.bakeSeconds * 1000 && (seenMask & needed) === needed) health = 'healthy';
  else if (now.getTime() - observation.succeededAt.getTime() >= spec.maxBakeSeconds * 1000) health = 'inconclusive';
  if (health !== 'pending') {
    // The clock stops at the verdict.
    bakedMs = onlineMs;
    onlineSince = null;
  }

  const changed =
    health !== record.health ||
    bakedMs !== record.bakedMs ||
    onlineSince?.getTime() !== record.onlineSince?.getTime() ||
    failures !== record.failures ||
    seenMask !== record.seenMask ||
    dryRunNewlyFailed;
  return changed ? { health, bakedMs, onlineSince, failures, seenMask, samples } : null;
}

/**
 * The checks as they apply to this device: a relative check compares with its own baseline ×
 * factor + offset; without a numeric baseline (nothing reported there at dispatch) it is null:
 * not read, and not needed for a healthy verdict.
 */
function devicesChecks(spec: HealthSpec, observation: BakeObservation): Array<HealthCheck | null> {
  return spec.checks.map((check, index) => {
    if (!check.relative) return check;
    const baseline = observation.baselines?.[index];
    if (typeof baseline !== 'number' || !Number.isFinite(baseline)) return null;
    // toPrecision: 0.1 × 3 is 0.3 here, not 0.30000000000000004.
    return { ...check, value: Number((baseline * check.relative.factor + check.relative.offset).toPrecision(12)) };
  });
}

/** The failing signals' samples. Went-dark is read from presence alone, version regression only while online, reconnects from recorded session starts. */
function signalFailures(spec: HealthSpec, observation: BakeObservation, now: Date): HealthSample[] {
  const at = now.toISOString();
  const failing: HealthSample[] = [];
  const dryRun = (signal: { dryRun?: boolean }) => (signal.dryRun ? { dryRun: true } : {});
  const dark = spec.signals?.wentDark;
  if (dark && !observation.online && observation.lastSeenAt) {
    const offlineSeconds = Math.floor((now.getTime() - observation.lastSeenAt.getTime()) / 1000);
    if (offlineSeconds > dark.afterSeconds) {
      failing.push({ path: 'offlineSeconds', op: 'lte', value: dark.afterSeconds, actual: offlineSeconds, passed: false, at, signal: 'wentDark', ...dryRun(dark) });
    }
  }
  const regression = spec.signals?.versionRegression;
  const { firmwareVersion, expectedVersion } = observation;
  if (regression && observation.online && expectedVersion && firmwareVersion && firmwareVersion !== expectedVersion) {
    failing.push({ path: 'firmware.version', op: 'eq', value: expectedVersion, actual: firmwareVersion, passed: false, at, signal: 'versionRegression', ...dryRun(regression) });
  }
  const loop = spec.signals?.reconnectLoop;
  if (loop) {
    const most = mostWithin(observation.connectsSinceSuccess ?? [], loop.withinSeconds * 1000);
    if (most > loop.maxReconnects) {
      failing.push({ path: 'reconnects', op: 'lte', value: loop.maxReconnects, actual: most, passed: false, at, signal: 'reconnectLoop', ...dryRun(loop) });
    }
  }
  return failing;
}

/** The most of these times (oldest first) that fall within any window of `windowMs`. */
export function mostWithin(times: readonly Date[], windowMs: number): number {
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last].getTime() - times[first].getTime() > windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
