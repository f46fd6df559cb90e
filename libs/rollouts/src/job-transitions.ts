import { type DeviceJobStatus, type JobStatusReport, isFinalJobStatus } from '@edgefleet/contracts';

/** Order of the non-final states; a report may only move a job forward (CONTRACT §4). */
const RANK: Partial<Record<DeviceJobStatus, number>> = {
  queued: 0,
  pending_offline: 0,
  notified: 1,
  accepted: 2,
  downloading: 3,
  installing: 4,
  rebooting: 5,
};

export interface JobSnapshot {
  status: DeviceJobStatus;
  attempts: number;
  deviceSucceeded: boolean;
}

export interface ReportContext {
  /** Firmware jobs: the device's reported firmware.version equals the artifact's. Config jobs: always true. */
  versionConfirmed: boolean;
  /** Whether a failure may be retried (attempts so far ≤ strategy.retries). */
  retryAllowed: boolean;
}

export type ReportOutcome =
  | { kind: 'ignore'; why: string }
  /** The device reports on a job it was never sent: answered on its errors topic. */
  | { kind: 'refuse'; why: string }
  | { kind: 'update'; status: DeviceJobStatus; deviceSucceeded: boolean; progress?: number; lastError?: string; retry: boolean };

/**
 * Validates one device report against the job's state. Duplicates and reports that arrive
 * out of order never move a job backwards; they are ignored.
 */
export function applyReport(job: JobSnapshot, report: JobStatusReport, context: ReportContext): ReportOutcome {
  if (job.status === 'cancelled' && job.attempts > 0 && report.status === 'succeeded') return successAfterCancel(job, report, context);
  if (isFinalJobStatus(job.status)) return { kind: 'ignore', why: `job is already ${job.status}` };
  if (job.attempts === 0) return { kind: 'refuse', why: 'job has not been sent to this device yet' };
  const waiting = job.status === 'queued' || job.status === 'pending_offline';
  switch (report.status) {
    case 'succeeded':
      if (context.versionConfirmed) return update('succeeded', true, report);
      // A waiting job has no deadline running; keep it waiting for its retry rather than mark progress.
      if (waiting) return { kind: 'ignore', why: 'success reported for an earlier attempt without the matching firmware version' };
      return update(rankOf(job.status) >= rankOf('rebooting') ? job.status : 'rebooting', true, report);
    case 'failed':
      if (waiting) return { kind: 'ignore', why: 'failure of an earlier attempt' };
      return {
        kind: 'update',
        status: context.retryAllowed ? 'queued' : 'failed',
        deviceSucceeded: false,
        lastError: report.reason ?? 'device reported failure',
        retry: context.retryAllowed,
      };
    case 'rejected':
      if (waiting) return { kind: 'ignore', why: 'rejection of an earlier attempt' };
      return { kind: 'update', status: 'rejected', deviceSucceeded: false, lastError: report.reason ?? 'device rejected the job', retry: false };
    default: {
      if (waiting) return { kind: 'ignore', why: 'progress of an earlier attempt' };
      if (job.deviceSucceeded) return { kind: 'ignore', why: 'device already reported success' };
      const current = rankOf(job.status);
      const next = rankOf(report.status);
      if (next < current) return { kind: 'ignore', why: `out of order: job is ${job.status}` };
      if (next === current && report.progress === undefined) return { kind: 'ignore', why: 'duplicate' };
      return update(report.status, false, report);
    }
  }
}

/**
 * The device is the source of truth for what it runs (CONTRACT §4): a device that received the
 * job before the cancel and installs it anyway is recorded as succeeded, with the same version
 * rule as any success. Before its version shows, the job stays cancelled with the device's word
 * kept, and the version report completes it (RolloutJobRepository.confirmFirmware).
 */
function successAfterCancel(job: JobSnapshot, report: JobStatusReport, context: ReportContext): ReportOutcome {
  if (context.versionConfirmed) return update('succeeded', true, report);
  if (job.deviceSucceeded) return { kind: 'ignore', why: 'device already reported success' };
  return update('cancelled', true, report);
}

function update(status: DeviceJobStatus, deviceSucceeded: boolean, report: JobStatusReport): ReportOutcome {
  return { kind: 'update', status, deviceSucceeded, progress: report.progress, retry: false, ...(report.reason ? { lastError: report.reason } : {}) };
}

function rankOf(status: DeviceJobStatus): number {
  return RANK[status] ?? Number.POSITIVE_INFINITY;
}

/** Exponential backoff before retry n (1-based), capped: base, 2×base, 4×base … ≤ max. */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
}
