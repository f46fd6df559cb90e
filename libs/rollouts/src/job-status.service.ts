import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DomainError, DomainErrorCode, NotFoundError, bisectBatch, isUuid } from '@edgefleet/common';
import { type JobStatusReport, isFinalJobStatus } from '@edgefleet/contracts';
import { Transactor, isRowFault, postgresErrorCode } from '@edgefleet/database';
import { MetricsRegistry } from '@edgefleet/observability';
import { JobPublisher } from './job-publisher';
import { type JobSnapshot, applyReport, retryDelayMs } from './job-transitions';
import type { JobRef } from './rollout';
import { RolloutMetrics } from './rollout-metrics';
import { ROLLOUTS_OPTIONS, type RolloutsOptions } from './rollout-options';
import { type JobUpdate, type LockedJob, RolloutJobRepository } from './rollout-job.repository';
import { RolloutScheduler } from './rollout-scheduler';

const BATCH_DELAY_MS = 10;
const MAX_BATCH = 2_000;
/** Postgres deadlock_detected and serialization_failure: the batch is simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);

interface PendingReport {
  deviceId: string;
  jobId: string;
  report: JobStatusReport;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Applies device job reports (CONTRACT §4) in batches: reports arriving within a few
 * milliseconds are decided against their locked job rows and written with one UPDATE, so a
 * fleet answering at once is not one transaction per message.
 */
@Injectable()
export class JobStatusService implements OnModuleDestroy {
  private readonly logger = new Logger('RolloutJobs');
  private pending: PendingReport[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly refusedRows;

  constructor(
    private readonly jobs: RolloutJobRepository,
    private readonly transactor: Transactor,
    private readonly publisher: JobPublisher,
    private readonly scheduler: RolloutScheduler,
    private readonly metrics: RolloutMetrics,
    @Inject(ROLLOUTS_OPTIONS) private readonly options: RolloutsOptions,
    registry: MetricsRegistry,
  ) {
    this.refusedRows = registry.batchRowsRefused.labels('job-status');
  }

  /** Resolves once the report is applied (or ignored as a duplicate); rejects for a job the device does not have. */
  report(deviceId: string, jobId: string, report: JobStatusReport): Promise<void> {
    if (!isUuid(jobId)) return Promise.reject(new NotFoundError('job', jobId));
    return new Promise((resolve, reject) => {
      this.pending.push({ deviceId, jobId: jobId.toLowerCase(), report, resolve, reject });
      if (this.pending.length >= MAX_BATCH) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, MAX_BATCH);
    this.flushing = this.apply(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
    if (this.pending.length) void this.flush();
  }

  /**
   * Applies a batch; when the database refuses it for one report's data, the batch is split
   * to find that report (`bisectBatch`), which alone is refused and told to its device, and
   * the others are applied. When the database fails otherwise, the reports not applied are
   * refused unacknowledged, and their devices send them again.
   */
  private async apply(batch: PendingReport[]): Promise<void> {
    const outcome = await bisectBatch(batch, (part) => this.decideAndWrite(part), isRowFault);
    for (const { row, error } of outcome.refused) {
      this.logger.error(`job report of '${row.deviceId}' for job '${row.jobId}' refused by the database: ${error.message}`);
      this.refusedRows.inc();
      this.metrics.statusReports.inc({ outcome: 'refused' });
      row.reject(new DomainError(DomainErrorCode.Invalid, `job '${row.jobId}': the status report could not be stored`));
    }
    if (outcome.unwritten) {
      const { rows, error } = outcome.unwritten;
      this.logger.error(`applying ${rows.length} job report(s) failed: ${error.message}`);
      for (const item of rows) item.reject(error);
    }
    for (const { rows, result } of outcome.written) await this.settle(rows, result);
  }

  /** One transaction: lock the batch's jobs, decide every report, write the jobs; run again on a deadlock, at most 3 times. */
  private async decideAndWrite(batch: PendingReport[]): Promise<Decided> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactor.run(async (tx) => {
          const locked = await this.jobs.lockForReports([...new Set(batch.map((item) => item.jobId))], tx);
          const result = this.decide(batch, locked);
          await this.jobs.applyUpdates(result.updates, tx);
          return result;
        });
      } catch (error) {
        if (attempt < 3 && RETRYABLE.has(postgresErrorCode(error))) continue;
        throw error;
      }
    }
  }

  private async settle(batch: PendingReport[], decided: Decided): Promise<void> {
    decided.outcomes.forEach((outcome, index) => (outcome ? batch[index].reject(outcome) : batch[index].resolve()));
    this.metrics.statusReports.inc({ outcome: 'applied' }, decided.applied);
    this.metrics.statusReports.inc({ outcome: 'ignored' }, decided.ignored);
    this.metrics.statusReports.inc({ outcome: 'refused' }, decided.outcomes.filter(Boolean).length);
    if (decided.awaitingVersion.length) await this.publisher.withdraw(decided.awaitingVersion);
    if (decided.settled.length) {
      await this.publisher.withdraw(decided.settled);
      this.scheduler.nudge(new Set(decided.settled.map((ref) => ref.rolloutId)));
    }
  }

  /** Reports of one job apply in arrival order on its snapshot; the job is written once. */
  private decide(batch: readonly PendingReport[], locked: readonly LockedJob[]): Decided {
    const byId = new Map(locked.map((job) => [job.jobId, { job, snapshot: snapshotOf(job), update: undefined as JobUpdate | undefined }]));
    const decided: Decided = { updates: [], outcomes: [], settled: [], awaitingVersion: [], applied: 0, ignored: 0 };
    for (const item of batch) {
      const entry = byId.get(item.jobId);
      if (!entry || entry.job.deviceId !== item.deviceId) {
        decided.outcomes.push(new NotFoundError('job', item.jobId));
        continue;
      }
      const { job, snapshot } = entry;
      const versionConfirmed = job.rolloutType === 'config' || (job.firmwareVersion !== null && job.firmwareVersion === job.artifactVersion);
      const outcome = applyReport(snapshot, item.report, { versionConfirmed, retryAllowed: snapshot.attempts <= job.retries });
      if (outcome.kind === 'refuse') {
        decided.outcomes.push(new DomainError(DomainErrorCode.Conflict, `job '${item.jobId}': ${outcome.why}`));
        continue;
      }
      decided.outcomes.push(null);
      if (outcome.kind === 'ignore') {
        decided.ignored++;
        continue;
      }
      decided.applied++;
      snapshot.status = outcome.status;
      snapshot.deviceSucceeded = outcome.deviceSucceeded;
      entry.update = {
        jobId: job.jobId,
        status: outcome.status,
        progress: outcome.progress ?? entry.update?.progress ?? null,
        lastError: outcome.lastError ?? entry.update?.lastError ?? null,
        deviceSucceeded: outcome.deviceSucceeded,
        nextAttemptAt: outcome.retry ? new Date(Date.now() + retryDelayMs(snapshot.attempts, this.options.retryBackoffMs, this.options.retryBackoffMaxMs)) : null,
      };
    }
    for (const { job, update } of byId.values()) {
      if (!update) continue;
      decided.updates.push(update);
      const ref = { jobId: job.jobId, deviceId: job.deviceId, rolloutId: job.rolloutId };
      if (isFinalJobStatus(update.status) || update.status === 'queued') decided.settled.push(ref);
      // Success reported, version not yet seen: the retained document goes now, or the device would get it again when it reconnects after rebooting.
      else if (update.deviceSucceeded && !job.deviceSucceeded) decided.awaitingVersion.push(ref);
    }
    return decided;
  }
}

interface Decided {
  updates: JobUpdate[];
  /** Per batch item: null when applied or ignored, else the error to answer the device with. */
  outcomes: (Error | null)[];
  /** Jobs that left flight (final, or waiting for a retry). */
  settled: JobRef[];
  /** Jobs the device just reported `succeeded` for, waiting for its firmware version. */
  awaitingVersion: JobRef[];
  applied: number;
  ignored: number;
}

function snapshotOf(job: LockedJob): JobSnapshot {
  return { status: job.status, attempts: job.attempts, deviceSucceeded: job.deviceSucceeded };
}
