import { InvalidInputError } from '@edgefleet/common';

export const HEALTH_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const;
export type HealthOp = (typeof HEALTH_OPS)[number];

/** What a tripped gate does (fixed core); `promote` only as the inconclusive action. */
export const GATE_ACTIONS = ['revert', 'pause', 'abort'] as const;
export type GateAction = (typeof GATE_ACTIONS)[number];
export const INCONCLUSIVE_ACTIONS = ['pause', 'abort', 'revert', 'promote'] as const;
export type InconclusiveAction = (typeof INCONCLUSIVE_ACTIONS)[number];

export const DEVICE_HEALTH = ['pending', 'healthy', 'unhealthy', 'inconclusive'] as const;
export type DeviceHealth = (typeof DEVICE_HEALTH)[number];

export type CheckValue = string | number | boolean | null;

/** A condition on device-reported state, read during the bake. */
export interface HealthCheck {
  /** Dot path into reported state, e.g. `health.app`. */
  path: string;
  op: HealthOp;
  /** The value compared with; for a relative check, the device's own baseline × factor + offset instead. */
  value: CheckValue;
  /** Compare with the device's own value at `path` when its job was dispatched: `baseline × factor + offset` (ordered ops only). */
  relative?: RelativeTo;
  /** Evaluated and recorded, never acted on. */
  dryRun?: boolean;
}

export interface RelativeTo {
  factor: number;
  offset: number;
}

/** Signals beyond reported-state checks; each is decisive (one failure makes the device unhealthy) unless it is a dry run. */
export interface HealthSignals {
  /** Offline for more than `afterSeconds` during its bake (it was online when its job was sent). */
  wentDark?: { afterSeconds: number; dryRun?: boolean };
  /** Firmware rollouts: the device reports a firmware.version other than the artifact's again (it rolled itself back). */
  versionRegression?: { dryRun?: boolean };
  /**
   * More than `maxReconnects` sessions begun within any `withinSeconds` after its success was confirmed
   * (the reboot the install asked for came before that, so it never counts).
   */
  reconnectLoop?: { maxReconnects: number; withinSeconds: number; dryRun?: boolean };
}

/** The signals' names, as samples and reasons show them. */
export type SignalName = keyof HealthSignals;

/** `strategy.health` with defaults filled in. */
export interface HealthSpec {
  bakeSeconds: number;
  checks: HealthCheck[];
  minEvaluated: number;
  /** Share of the wave's succeeded devices that must have a verdict before the next wave starts. */
  minEvaluatedPercent: number;
  maxUnhealthyPercent: number;
  /** Also trips when more than this many devices are unhealthy; unset: only the share counts. */
  maxUnhealthy?: number;
  action: GateAction;
  /** Failing evaluations in a row that make a device unhealthy. */
  failureLimit: number;
  /** A device without a verdict this long after its success was confirmed is inconclusive. */
  maxBakeSeconds: number;
  maxInconclusivePercent: number;
  inconclusiveAction: InconclusiveAction;
  signals?: HealthSignals;
  /** Firmware: when the rollout reverts, the artifact is quarantined (new rollouts with it need `force`). */
  quarantine?: boolean;
}

/** A check as the API received it. */
export type HealthCheckRequest = Omit<HealthCheck, 'value' | 'relative'> & { value?: CheckValue; relative?: Partial<RelativeTo> };

/** `strategy.health` as the API received it. */
export type HealthRequest = Pick<HealthSpec, 'bakeSeconds' | 'minEvaluated' | 'maxUnhealthyPercent' | 'action'> & { checks: HealthCheckRequest[] } &
  Partial<Omit<HealthSpec, 'bakeSeconds' | 'checks' | 'minEvaluated' | 'maxUnhealthyPercent' | 'action'>>;

export const PATH_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$/;
const ORDERED_OPS: readonly HealthOp[] = ['lt', 'lte', 'gt', 'gte'];

/** The default upper time limit: twice the bake plus ten minutes of slack for devices that go offline. */
export function defaultMaxBakeSeconds(bakeSeconds: number): number {
  return bakeSeconds * 2 + 600;
}

/** Cross-field checks (class-validator has done the fields) and defaults. */
export function buildHealth(request: HealthRequest): HealthSpec {
  request.checks.forEach((check, index) => {
    const field = `strategy.health.checks[${index}]`;
    if (!PATH_PATTERN.test(check.path)) throw new InvalidInputError('must be a dot path of up to 8 keys (letters, digits, _ and -)', `${field}.path`);
    if (check.relative) {
      if (!ORDERED_OPS.includes(check.op)) throw new InvalidInputError(`a relative check needs an ordered op (lt, lte, gt, gte), not '${check.op}'`, `${field}.op`);
      if (check.value !== undefined) throw new InvalidInputError('must be absent for a relative check (the device’s own baseline × factor + offset is compared)', `${field}.value`);
      return;
    }
    const type = check.value === null ? 'null' : typeof check.value;
    if (!['string', 'number', 'boolean', 'null'].includes(type)) throw new InvalidInputError('must be a string, number, boolean or null', `${field}.value`);
    if (ORDERED_OPS.includes(check.op) && typeof check.value !== 'number') throw new InvalidInputError(`must be a number for op '${check.op}'`, `${field}.value`);
  });
  const maxBakeSeconds = request.maxBakeSeconds ?? defaultMaxBakeSeconds(request.bakeSeconds);
  if (maxBakeSeconds < request.bakeSeconds) throw new InvalidInputError('must be at least bakeSeconds', 'strategy.health.maxBakeSeconds');
  return {
    bakeSeconds: request.bakeSeconds,
    checks: request.checks.map((c) => ({
      path: c.path,
      op: c.op,
      value: c.relative ? null : (c.value as CheckValue),
      ...(c.relative ? { relative: { factor: c.relative.factor ?? 1, offset: c.relative.offset ?? 0 } } : {}),
      ...(c.dryRun ? { dryRun: true } : {}),
    })),
    minEvaluated: request.minEvaluated,
    minEvaluatedPercent: request.minEvaluatedPercent ?? 100,
    maxUnhealthyPercent: request.maxUnhealthyPercent,
    ...(request.maxUnhealthy !== undefined ? { maxUnhealthy: request.maxUnhealthy } : {}),
    action: request.action,
    failureLimit: request.failureLimit ?? 1,
    maxBakeSeconds,
    maxInconclusivePercent: request.maxInconclusivePercent ?? 0,
    inconclusiveAction: request.inconclusiveAction ?? 'pause',
    ...(request.quarantine ? { quarantine: true } : {}),
    ...(request.signals && (request.signals.wentDark || request.signals.versionRegression || request.signals.reconnectLoop) ? { signals: copySignals(request.signals) } : {}),
  };
}

function copySignals(signals: HealthSignals): HealthSignals {
  const { wentDark, versionRegression, reconnectLoop } = signals;
  const dry = (signal: { dryRun?: boolean }) => (signal.dryRun ? { dryRun: true } : {});
  return {
    ...(wentDark ? { wentDark: { afterSeconds: wentDark.afterSeconds, ...dry(wentDark) } } : {}),
    ...(versionRegression ? { versionRegression: dry(versionRegression) } : {}),
    ...(reconnectLoop ? { reconnectLoop: { maxReconnects: reconnectLoop.maxReconnects, withinSeconds: reconnectLoop.withinSeconds, ...dry(reconnectLoop) } } : {}),
  };
}

/** How a check reads in reasons and decisions: `health.app eq "ok"`, `metrics.errorRate lte 1.5 × before + 0.01`. */
export function describeCheck(check: HealthCheck): string {
  if (!check.relative) return `${check.path} ${check.op} ${JSON.stringify(check.value)}`;
  const { factor, offset } = check.relative;
  return `${check.path} ${check.op} ${factor} × before${offset ? ` ${offset < 0 ? '-' : '+'} ${Math.abs(offset)}` : ''}`;
}

/** The paths whose values are recorded at dispatch, for the relative checks. */
export function baselinePaths(spec: HealthSpec | undefined): string[] {
  return [...new Set((spec?.checks ?? []).filter((check) => check.relative).map((check) => check.path))];
}
