import type { DeviceJobStatus, RolloutState, RolloutType } from '@edgefleet/contracts';
import type { DeviceCriteria } from '@edgefleet/registry';
import type { FailureThreshold } from './failure-threshold';
import type { HealthSpec } from './health/health-spec';
import type { DeviceHealthView } from './health/rollout-health.repository';
import type { MaintenanceWindow } from './maintenance-window';

/** Which devices a rollout is for: the union of all three. */
export interface RolloutTarget {
  deviceIds: string[];
  groupIds: string[];
  selector?: DeviceCriteria;
  /** While running or paused, devices that come to match the selector or a dynamic group get a job too (ids and static groups stay frozen). */
  includeNewDevices?: boolean;
}

export interface RolloutStrategy {
  /** Cumulative percentages of the targets, strictly increasing, ending at 100. */
  waves: number[];
  /** At most this many devices with a job in flight (notified … rebooting) at once. */
  maxInFlight: number;
  failureThreshold?: FailureThreshold;
  deviceTimeoutSeconds: number;
  /** How many times a failed or timed-out job is sent again. */
  retries: number;
  /** Wait this long after a wave settles before starting the next. */
  bakeTimeSeconds: number;
  /** A device offline this long after its turn came is `timed_out`; unset: it waits for as long as the rollout runs. */
  offlineTimeoutSeconds?: number;
  /** Health gate (bake, checks, wave gate, action); none: a wave is promoted once it settles. */
  health?: HealthSpec;
}

export interface RolloutSchedule {
  startAt?: string;
  window?: MaintenanceWindow;
}

/** What the operator asked for, as stored. */
export interface RolloutDefinition {
  target: RolloutTarget;
  strategy: RolloutStrategy;
  schedule: RolloutSchedule;
}

/** The artifact as it was when the rollout was created (artifacts are immutable). */
export interface ArtifactSnapshot {
  id: string;
  name: string;
  version: string;
  size: number;
  sha256: string;
  signature: string;
  deviceTypes: string[];
}

export type RolloutPayload = { type: 'firmware'; artifact: ArtifactSnapshot } | { type: 'config'; config: Record<string, unknown> };

export interface Rollout {
  id: string;
  name: string;
  type: RolloutType;
  state: RolloutState;
  reason: string | null;
  definition: RolloutDefinition;
  payload: RolloutPayload;
  currentWave: number;
  waveSettledAt: Date | null;
  targetCount: number;
  excludedCount: number;
  startAt: Date | null;
  nextTickAt: Date | null;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Highest wave whose health gate passed (or was promoted by an operator); -1 before any. */
  gateWave: number;
  /** Set once the rollout started reverting. */
  revertingSince: Date | null;
}

export interface NewRollout {
  name: string;
  definition: RolloutDefinition;
  payload: RolloutPayload;
  startAt: Date | null;
  createdBy: string;
}

/** Fields the scheduler and the controls change. */
export type RolloutChanges = Partial<
  Pick<Rollout, 'state' | 'reason' | 'currentWave' | 'waveSettledAt' | 'targetCount' | 'excludedCount' | 'nextTickAt' | 'startedAt' | 'finishedAt' | 'gateWave' | 'revertingSince'>
>;

export type StatusCounts = Record<DeviceJobStatus, number>;

export interface WaveProgress {
  wave: number;
  /** The wave's cumulative percentage. */
  percent: number;
  total: number;
  counts: StatusCounts;
}

export interface RolloutProgress {
  /** The rollout's own (install) jobs. */
  counts: StatusCounts;
  waves: WaveProgress[];
  /** Revert jobs, per status. */
  revert: StatusCounts;
}

/** One device's job as operators see it. */
export interface RolloutJob {
  jobId: string;
  rolloutId: string;
  deviceId: string;
  wave: number;
  status: DeviceJobStatus;
  attempts: number;
  progress: number | null;
  lastError: string | null;
  dispatchedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Health-gated rollouts: the device's bake and verdict, what it ran before, and its revert job if any. */
  health?: DeviceHealthView;
}

/** One device's job with the rollout it belongs to. */
export interface DeviceRolloutJob extends RolloutJob {
  rolloutName: string;
  rolloutState: RolloutState;
  rolloutType: RolloutType;
}

/** `install`: the rollout's own job; `revert`: back to what the device ran before it. */
export type JobPhase = 'install' | 'revert';

/** What a revert job sends: the device's own previous artifact, or the desired values the rollout replaced (a merge patch). */
export type RevertTarget = { artifact: ArtifactSnapshot } | { config: Record<string, unknown> };

/** A job to send to or withdraw from a device. */
export interface JobRef {
  jobId: string;
  deviceId: string;
  rolloutId: string;
  /** Revert jobs: their own payload instead of the rollout's. */
  revertTo?: RevertTarget;
}
