import { InvalidInputError } from '@edgefleet/common';
import type { RolloutType } from '@edgefleet/contracts';
import type { DeviceCriteria } from '@edgefleet/registry';
import { CronSyntaxError, parseCron } from './cron-expression';
import type { FailureThreshold } from './failure-threshold';
import { type HealthRequest, buildHealth } from './health/health-spec';
import { MAX_WINDOW_MINUTES, type MaintenanceWindow, isKnownTimeZone } from './maintenance-window';
import type { RolloutDefinition } from './rollout';

/** A create (or preview) request as the API received it, before defaults and cross-field checks. */
export interface RolloutRequest {
  name: string;
  type: RolloutType;
  artifactId?: string;
  config?: Record<string, unknown>;
  target: { deviceIds?: string[]; groupIds?: string[]; selector?: DeviceCriteria; includeNewDevices?: boolean };
  strategy?: {
    waves?: number[];
    maxInFlight?: number;
    failureThreshold?: FailureThreshold;
    deviceTimeoutSeconds?: number;
    retries?: number;
    bakeTimeSeconds?: number;
    offlineTimeoutSeconds?: number;
    health?: HealthRequest;
  };
  schedule?: { startAt?: string; window?: MaintenanceWindow };
  /** Create it even though its artifact is quarantined. */
  force?: boolean;
}

export const NOTHING_TO_FOLLOW = 'needs a selector or a dynamic group to follow (device ids and static groups stay as they were at the start)';

export const DEFAULT_STRATEGY = {
  waves: [100],
  maxInFlight: 100,
  deviceTimeoutSeconds: 600,
  retries: 0,
  bakeTimeSeconds: 0,
} as const;

/** Checks what field-level validation cannot (waves in order, cron syntax, type vs payload) and fills defaults. */
export function buildDefinition(request: RolloutRequest): RolloutDefinition {
  if (request.type === 'firmware' && !request.artifactId) throw new InvalidInputError('is required for a firmware rollout', 'artifactId');
  if (request.type === 'firmware' && request.config !== undefined) throw new InvalidInputError('is only for config rollouts', 'config');
  if (request.type === 'config' && !request.config) throw new InvalidInputError('is required for a config rollout', 'config');
  if (request.type === 'config' && request.artifactId !== undefined) throw new InvalidInputError('is only for firmware rollouts', 'artifactId');
  const target = {
    deviceIds: [...new Set(request.target.deviceIds ?? [])],
    groupIds: [...new Set(request.target.groupIds ?? [])],
    ...(request.target.selector ? { selector: { ...request.target.selector } } : {}),
    ...(request.target.includeNewDevices ? { includeNewDevices: true } : {}),
  };
  if (!target.deviceIds.length && !target.groupIds.length && !target.selector) {
    throw new InvalidInputError('give at least one of deviceIds, groupIds or selector', 'target');
  }
  // Whether the groups are dynamic needs the database: RolloutTargets.validate checks that part.
  if (target.includeNewDevices && !target.selector && !target.groupIds.length) {
    throw new InvalidInputError(NOTHING_TO_FOLLOW, 'target.includeNewDevices');
  }
  const strategy = { ...DEFAULT_STRATEGY, ...request.strategy };
  checkWaves(strategy.waves);
  return {
    target,
    strategy: {
      waves: [...strategy.waves],
      maxInFlight: strategy.maxInFlight,
      deviceTimeoutSeconds: strategy.deviceTimeoutSeconds,
      retries: strategy.retries,
      bakeTimeSeconds: strategy.bakeTimeSeconds,
      ...(strategy.failureThreshold ? { failureThreshold: { ...strategy.failureThreshold } } : {}),
      ...(strategy.offlineTimeoutSeconds !== undefined ? { offlineTimeoutSeconds: strategy.offlineTimeoutSeconds } : {}),
      ...(strategy.health ? { health: buildHealth(strategy.health) } : {}),
    },
    schedule: {
      ...(request.schedule?.startAt ? { startAt: checkStartAt(request.schedule.startAt) } : {}),
      ...(request.schedule?.window ? { window: checkWindow(request.schedule.window) } : {}),
    },
  };
}

function checkWaves(waves: readonly number[]): void {
  waves.forEach((percent, index) => {
    if (percent <= 0 || percent > 100) throw new InvalidInputError('each wave must be a percentage above 0 and at most 100', 'strategy.waves');
    if (index > 0 && percent <= waves[index - 1]) throw new InvalidInputError('waves are cumulative percentages and must increase', 'strategy.waves');
  });
  if (waves[waves.length - 1] !== 100) throw new InvalidInputError('the last wave must be 100 (every target)', 'strategy.waves');
}

function checkStartAt(text: string): string {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InvalidInputError('is not an ISO 8601 date-time', 'schedule.startAt');
  return at.toISOString();
}

function checkWindow(window: MaintenanceWindow): MaintenanceWindow {
  try {
    parseCron(window.cron);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw new InvalidInputError(error.message, 'schedule.window.cron');
    throw error;
  }
  if (window.durationMinutes > MAX_WINDOW_MINUTES) throw new InvalidInputError(`must be at most ${MAX_WINDOW_MINUTES} (a week)`, 'schedule.window.durationMinutes');
  if (window.timeZone !== undefined && !isKnownTimeZone(window.timeZone)) throw new InvalidInputError(`'${window.timeZone}' is not an IANA time zone`, 'schedule.window.timeZone');
  return { cron: window.cron.trim(), durationMinutes: window.durationMinutes, ...(window.timeZone ? { timeZone: window.timeZone } : {}) };
}
