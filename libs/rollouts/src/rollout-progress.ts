import { DEVICE_JOB_STATUSES, type DeviceJobStatus, FAILED_JOB_STATUSES, IN_FLIGHT_JOB_STATUSES, isFinalJobStatus } from '@edgefleet/contracts';
import type { FinalCounts } from './failure-threshold';
import type { JobPhase, RolloutProgress, StatusCounts } from './rollout';

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(DEVICE_JOB_STATUSES.map((status) => [status, 0])) as StatusCounts;
}

/** Per-status counts of the whole rollout and of each wave (waves with no devices included). */
export function summarize(rows: readonly { wave: number; status: DeviceJobStatus; phase: JobPhase; count: number }[], waves: readonly number[]): RolloutProgress {
  const progress: RolloutProgress = {
    counts: emptyCounts(),
    waves: waves.map((percent, wave) => ({ wave, percent, total: 0, counts: emptyCounts() })),
    revert: emptyCounts(),
  };
  for (const row of rows) {
    if (row.phase === 'revert') {
      progress.revert[row.status] += row.count;
      continue;
    }
    progress.counts[row.status] += row.count;
    const wave = progress.waves[row.wave];
    if (wave) {
      wave.counts[row.status] += row.count;
      wave.total += row.count;
    }
  }
  return progress;
}

export function finalCounts(counts: StatusCounts): FinalCounts {
  const failed = FAILED_JOB_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  return { final: counts.succeeded + failed, failed };
}

export function inFlightCount(counts: StatusCounts): number {
  return IN_FLIGHT_JOB_STATUSES.reduce((sum, status) => sum + counts[status], 0);
}

/** Jobs in flight of both phases: what maxInFlight limits. */
export function inFlightTotal(progress: RolloutProgress): number {
  return inFlightCount(progress.counts) + inFlightCount(progress.revert);
}

export function unfinishedCount(counts: StatusCounts): number {
  return DEVICE_JOB_STATUSES.reduce((sum, status) => (isFinalJobStatus(status) ? sum : sum + counts[status]), 0);
}

/** Every device of waves 0..wave is in a final state. */
export function settledThrough(progress: RolloutProgress, wave: number): boolean {
  return progress.waves.slice(0, wave + 1).every((w) => unfinishedCount(w.counts) === 0);
}
