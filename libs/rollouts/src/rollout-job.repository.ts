import { Injectable } from '@nestjs/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import { type DeviceJobStatus, FINAL_JOB_STATUSES, IN_FLIGHT_JOB_STATUSES, type RolloutState, type RolloutType } from '@edgefleet/contracts';
import type { DeviceRolloutJob, JobPhase, JobRef, RevertTarget, RolloutJob, RolloutPayload } from './rollout';
import type { PlannedJob } from './wave-planner';

const IN_FLIGHT: string[] = [...IN_FLIGHT_JOB_STATUSES];
const FINAL: string[] = [...FINAL_JOB_STATUSES];
const WAITING: string[] = ['queued', 'pending_offline'];

interface JobRefRow {
  id: string;
  device_id: string;
  rollout_id: string;
  revert_to?: RevertTarget | null;
}

/** What the claim statements RETURN: enough to build a job document, a revert's own target included. */
const REF_COLUMNS = Prisma.sql`j.id, j.device_id, j.rollout_id, j.revert_to`;

/** A job locked for applying device reports, with what deciding a transition needs. */
export interface LockedJob {
  jobId: string;
  deviceId: string;
  rolloutId: string;
  rolloutType: RolloutType;
  status: DeviceJobStatus;
  attempts: number;
  deviceSucceeded: boolean;
  retries: number;
  artifactVersion: string | null;
  firmwareVersion: string | null;
}

/** The result of applying reports to one job, written for many jobs in one statement. */
export interface JobUpdate {
  jobId: string;
  status: DeviceJobStatus;
  progress: number | null;
  lastError: string | null;
  deviceSucceeded: boolean;
  nextAttemptAt: Date | null;
}

export interface LiveJob extends JobRef {
  type: RolloutType;
  /** The device already reported `succeeded`; the job waits only for its reported firmware version. */
  deviceSucceeded: boolean;
  dispatchedAt: Date | null;
}

/** Device jobs. Every hot-path change is one statement over many rows. */
@Injectable()
export class RolloutJobRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The frozen target list of a starting rollout, in one statement (10,000 rows and more). */
  async insertPlanned(rolloutId: string, jobs: readonly PlannedJob[], tx: DbTx): Promise<void> {
    if (jobs.length === 0) return;
    await tx.$executeRaw`
      INSERT INTO rollout_jobs (rollout_id, device_id, wave, position, status)
      SELECT ${rolloutId}::uuid, u.device_id, u.wave, u.position, 'queued'
      FROM unnest(${jobs.map((j) => j.deviceId)}::text[], ${jobs.map((j) => j.wave)}::int[], ${jobs.map((j) => j.position)}::int[])
        AS u(device_id, wave, position)`;
  }

  /**
   * Refreshes the planner's statistics of rollout_jobs. Until autovacuum gets to a table that
   * just grew by thousands of rows, Postgres plans the dispatch and confirmation joins as if it
   * were nearly empty (nested loops over the whole rollout, seconds per step at 10,000 jobs).
   * ANALYZE samples a fixed number of rows, so it costs the same at any size; inside the
   * transaction it sees the rows just inserted.
   */
  async analyze(tx: DbTx): Promise<void> {
    await tx.$executeRaw`ANALYZE rollout_jobs`;
  }

  async countsByWave(rolloutId: string, tx: DbTx = this.prisma): Promise<{ wave: number; status: DeviceJobStatus; phase: JobPhase; count: number }[]> {
    const rows = await tx.$queryRaw<{ wave: number; status: DeviceJobStatus; phase: JobPhase; n: number }[]>`
      SELECT wave, status, phase, count(*)::int AS n FROM rollout_jobs WHERE rollout_id = ${rolloutId}::uuid GROUP BY wave, status, phase`;
    return rows.map((row) => ({ wave: row.wave, status: row.status, phase: row.phase, count: row.n }));
  }

  /**
   * Jobs past their deadline: in flight → retried (back to `queued` after a backoff) while
   * attempts ≤ retries, else `timed_out`; waiting offline past offlineTimeoutSeconds → `timed_out`.
   */
  async expireDeadlines(rolloutId: string, retries: number, backoffMs: number, backoffMaxMs: number, tx: DbTx): Promise<{ retried: JobRef[]; timedOut: JobRef[] }> {
    const rows = await tx.$queryRaw<(JobRefRow & { status: string })[]>`
      UPDATE rollout_jobs SET
        status = CASE WHEN status <> 'pending_offline' AND attempts <= ${retries} THEN 'queued' ELSE 'timed_out' END,
        last_error = CASE
          WHEN status = 'pending_offline' THEN 'device stayed offline past offlineTimeoutSeconds'
          WHEN device_succeeded THEN 'device reported success but its reported firmware.version never matched the artifact'
          ELSE 'no final status within deviceTimeoutSeconds' END,
        next_attempt_at = CASE WHEN status <> 'pending_offline' AND attempts <= ${retries}
          THEN now() + LEAST(${backoffMaxMs}::float8, ${backoffMs}::float8 * power(2, attempts - 1)) * interval '1 millisecond' END,
        finished_at = CASE WHEN status = 'pending_offline' OR attempts > ${retries} THEN now() END,
        deadline_at = NULL, device_succeeded = false, updated_at = now()
      WHERE rollout_id = ${rolloutId}::uuid AND deadline_at <= now() AND status = ANY(${[...IN_FLIGHT, 'pending_offline']}::text[])
      RETURNING id, device_id, rollout_id, status`;
    return {
      retried: rows.filter((row) => row.status === 'queued').map(toRef),
      timedOut: rows.filter((row) => row.status === 'timed_out').map(toRef),
    };
  }

  /** Unfinished jobs of devices decommissioned since the rollout started: they can never finish, so they are cancelled. */
  async cancelOfRemovedDevices(rolloutId: string, tx: DbTx): Promise<number> {
    return tx.$executeRaw`
      UPDATE rollout_jobs j SET status = 'cancelled', last_error = 'device decommissioned', finished_at = now(), deadline_at = NULL, next_attempt_at = NULL, updated_at = now()
      WHERE j.rollout_id = ${rolloutId}::uuid AND NOT (j.status = ANY(${FINAL}::text[]))
        AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = j.device_id)`;
  }

  /**
   * Firmware jobs whose device said `succeeded` and now reports the artifact's version (CONTRACT §4),
   * cancelled ones included: the device installed it anyway, and what it runs is the truth.
   * Rows are locked in id order, as report batches lock them, so the two never deadlock.
   */
  async confirmFirmware(rolloutId: string, version: string, tx: DbTx): Promise<JobRef[]> {
    const rows = await tx.$queryRaw<JobRefRow[]>`
      WITH due AS (
        SELECT j.id FROM rollout_jobs j JOIN devices d ON d.id = j.device_id
        WHERE j.rollout_id = ${rolloutId}::uuid AND j.device_succeeded AND (j.status = 'cancelled' OR NOT (j.status = ANY(${FINAL}::text[]))) AND d.firmware_version = coalesce(j.target_version, ${version})
        ORDER BY j.id FOR UPDATE OF j)
      UPDATE rollout_jobs j SET status = 'succeeded', finished_at = now(), deadline_at = NULL, next_attempt_at = NULL, updated_at = now()
      FROM due WHERE j.id = due.id
      RETURNING j.id, j.device_id, j.rollout_id`;
    return rows.map(toRef);
  }

  /** The same for devices that just reported a firmware version, across their firmware rollouts (rows locked in id order too). */
  async confirmFirmwareOfDevices(reports: readonly { deviceId: string; version: string }[]): Promise<JobRef[]> {
    if (reports.length === 0) return [];
    const rows = await this.prisma.$queryRaw<JobRefRow[]>`
      WITH due AS (
        SELECT j.id FROM rollout_jobs j JOIN rollouts r ON r.id = j.rollout_id
          JOIN unnest(${reports.map((r) => r.deviceId)}::text[], ${reports.map((r) => r.version)}::text[]) AS u(device_id, version) ON u.device_id = j.device_id
        WHERE j.device_succeeded AND (j.status = 'cancelled' OR NOT (j.status = ANY(${FINAL}::text[]))) AND r.type = 'firmware' AND coalesce(j.target_version, r.payload->'artifact'->>'version') = u.version
        ORDER BY j.id FOR UPDATE OF j)
      UPDATE rollout_jobs j SET status = 'succeeded', finished_at = now(), deadline_at = NULL, next_attempt_at = NULL, updated_at = now()
      FROM due WHERE j.id = due.id
      RETURNING j.id, j.device_id, j.rollout_id`;
    return rows.map(toRef);
  }

  /**
   * Claims up to `limit` due jobs of waves ≤ `maxWave` whose device is online and marks them
   * `notified` with a deadline. Row locks plus the status condition make the claim exactly-once
   * even with two servers; already-waiting offline devices go first. `dispatched_at` is the
   * statement's time, not the transaction's: a transaction that waited on the rollout's lock
   * while an earlier wave settled must not date its dispatch before that.
   */
  async claimForDispatch(rolloutId: string, maxWave: number, limit: number, timeoutSeconds: number, payload: RolloutPayload, tx: DbTx, baselinePaths: readonly string[] = []): Promise<JobRef[]> {
    if (limit <= 0) return [];
    const rows = await tx.$queryRaw<JobRefRow[]>`
      WITH due AS (
        SELECT j.id FROM rollout_jobs j JOIN devices d ON d.id = j.device_id
        WHERE j.rollout_id = ${rolloutId}::uuid AND j.status = ANY(${WAITING}::text[]) AND (j.wave <= ${maxWave} OR j.phase = 'revert')
          AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now()) AND d.online
        ORDER BY j.status DESC, j.position
        LIMIT ${limit}
        FOR UPDATE OF j SKIP LOCKED)
      UPDATE rollout_jobs j SET status = 'notified', attempts = j.attempts + 1, dispatched_at = clock_timestamp(),
        deadline_at = clock_timestamp() + ${timeoutSeconds} * interval '1 second', next_attempt_at = NULL, updated_at = now(),
        previous = ${recordPrevious(payload)}, health_baseline = ${recordBaseline(baselinePaths)}
      FROM due WHERE j.id = due.id
      RETURNING ${REF_COLUMNS}`;
    return rows.map(toRef);
  }

  /** Claims this rollout's offline-waiting jobs of devices that just connected. */
  async claimPendingOfDevices(rolloutId: string, deviceIds: readonly string[], limit: number, timeoutSeconds: number, payload: RolloutPayload, tx: DbTx, baselinePaths: readonly string[] = []): Promise<JobRef[]> {
    if (limit <= 0 || deviceIds.length === 0) return [];
    const rows = await tx.$queryRaw<JobRefRow[]>`
      WITH due AS (
        SELECT id FROM rollout_jobs
        WHERE rollout_id = ${rolloutId}::uuid AND status = 'pending_offline' AND device_id = ANY(${deviceIds}::text[])
        ORDER BY position LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE rollout_jobs j SET status = 'notified', attempts = j.attempts + 1, dispatched_at = clock_timestamp(),
        deadline_at = clock_timestamp() + ${timeoutSeconds} * interval '1 second', next_attempt_at = NULL, updated_at = now(),
        previous = ${recordPrevious(payload)}, health_baseline = ${recordBaseline(baselinePaths)}
      FROM due WHERE j.id = due.id
      RETURNING ${REF_COLUMNS}`;
    return rows.map(toRef);
  }

  /**
   * Due jobs of offline devices wait as `pending_offline` (offline is not failure); waiting jobs
   * whose device has connected since (and found no free slot) go back to `queued`.
   */
  async markPendingOffline(rolloutId: string, maxWave: number, offlineTimeoutSeconds: number | undefined, tx: DbTx): Promise<number> {
    const deadline = offlineTimeoutSeconds === undefined ? Prisma.sql`NULL` : Prisma.sql`now() + ${offlineTimeoutSeconds} * interval '1 second'`;
    return tx.$executeRaw`
      UPDATE rollout_jobs j SET status = CASE WHEN d.online THEN 'queued' ELSE 'pending_offline' END,
        deadline_at = CASE WHEN d.online THEN NULL ELSE (${deadline})::timestamptz END, updated_at = now()
      FROM devices d
      WHERE j.rollout_id = ${rolloutId}::uuid AND d.id = j.device_id AND (
        (j.status = 'queued' AND (j.wave <= ${maxWave} OR j.phase = 'revert') AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now()) AND NOT d.online)
        OR (j.status = 'pending_offline' AND d.online))`;
  }

  /** Rollouts with offline-waiting jobs for any of these devices. */
  async rolloutsPendingFor(deviceIds: readonly string[]): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ rollout_id: string }[]>`
      SELECT DISTINCT rollout_id FROM rollout_jobs WHERE device_id = ANY(${deviceIds}::text[]) AND status = 'pending_offline'`;
    return rows.map((row) => row.rollout_id);
  }

  /**
   * Cancels jobs; `onlyWaiting` leaves in-flight ones to finish (abort), otherwise every
   * non-final job (cancel). Returns the cancelled jobs that were in flight: their devices must be told.
   * Rows are locked in id order, as report batches lock them, so the two never deadlock.
   */
  async cancel(rolloutId: string, reason: string, onlyWaiting: boolean, tx: DbTx, phases: readonly JobPhase[] = ['install', 'revert']): Promise<JobRef[]> {
    const statuses = onlyWaiting ? WAITING : [...WAITING, ...IN_FLIGHT];
    const rows = await tx.$queryRaw<(JobRefRow & { was_in_flight: boolean })[]>`
      WITH target AS (
        SELECT id, status = ANY(${IN_FLIGHT}::text[]) AS was_in_flight FROM rollout_jobs
        WHERE rollout_id = ${rolloutId}::uuid AND status = ANY(${statuses}::text[]) AND phase = ANY(${[...phases]}::text[]) ORDER BY id FOR UPDATE)
      UPDATE rollout_jobs j SET status = 'cancelled', last_error = ${reason}, finished_at = now(), deadline_at = NULL, next_attempt_at = NULL, updated_at = now()
      FROM target WHERE j.id = target.id
      RETURNING j.id, j.device_id, j.rollout_id, target.was_in_flight`;
    return rows.filter((row) => row.was_in_flight).map(toRef);
  }

  /** Locks the reported jobs (in id order, so concurrent batches do not deadlock on each other). */
  async lockForReports(jobIds: readonly string[], tx: DbTx): Promise<LockedJob[]> {
    if (jobIds.length === 0) return [];
    const rows = await tx.$queryRaw<
      { id: string; device_id: string; rollout_id: string; type: RolloutType; status: DeviceJobStatus; attempts: number; device_succeeded: boolean; retries: number; version: string | null; firmware_version: string | null }[]
    >`
      SELECT j.id, j.device_id, j.rollout_id, r.type, j.status, j.attempts, j.device_succeeded,
        -- After an abort, in-flight devices finish for good: a retry would never be sent (CONTRACT §4).
        CASE WHEN r.state = 'aborted' THEN 0 ELSE coalesce((r.definition->'strategy'->>'retries')::int, 0) END AS retries,
        coalesce(j.target_version, r.payload->'artifact'->>'version') AS version, d.firmware_version
      FROM rollout_jobs j JOIN rollouts r ON r.id = j.rollout_id LEFT JOIN devices d ON d.id = j.device_id
      WHERE j.id = ANY(${jobIds}::uuid[])
      ORDER BY j.id
      FOR UPDATE OF j`;
    return rows.map((row) => ({
      jobId: row.id,
      deviceId: row.device_id,
      rolloutId: row.rollout_id,
      rolloutType: row.type,
      status: row.status,
      attempts: row.attempts,
      deviceSucceeded: row.device_succeeded,
      retries: row.retries,
      artifactVersion: row.version,
      firmwareVersion: row.firmware_version,
    }));
  }

  async applyUpdates(updates: readonly JobUpdate[], tx: DbTx): Promise<void> {
    if (updates.length === 0) return;
    await tx.$executeRaw`
      UPDATE rollout_jobs j SET
        status = u.status,
        progress = coalesce(u.progress, j.progress),
        last_error = coalesce(u.last_error, j.last_error),
        device_succeeded = u.device_succeeded,
        next_attempt_at = u.next_attempt_at,
        deadline_at = CASE WHEN u.status = 'queued' OR u.status = ANY(${FINAL}::text[]) THEN NULL ELSE j.deadline_at END,
        finished_at = CASE WHEN u.status = ANY(${FINAL}::text[]) THEN now() END,
        updated_at = now()
      FROM unnest(${updates.map((u) => u.jobId)}::uuid[], ${updates.map((u) => u.status)}::text[], ${updates.map((u) => u.progress)}::int[],
        ${updates.map((u) => u.lastError)}::text[], ${updates.map((u) => u.deviceSucceeded)}::bool[], ${updates.map((u) => u.nextAttemptAt)}::timestamptz[])
        AS u(id, status, progress, last_error, device_succeeded, next_attempt_at)
      WHERE j.id = u.id`;
  }

  /** In-flight jobs of these devices: what each should be working on now. */
  async liveJobsOf(deviceIds: readonly string[]): Promise<LiveJob[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<(JobRefRow & { type: RolloutType; device_succeeded: boolean; dispatched_at: Date | null })[]>`
      SELECT ${REF_COLUMNS}, r.type, j.device_succeeded, j.dispatched_at FROM rollout_jobs j JOIN rollouts r ON r.id = j.rollout_id
      WHERE j.device_id = ANY(${deviceIds}::text[]) AND j.status = ANY(${IN_FLIGHT}::text[])
      ORDER BY j.device_id, j.id`;
    return rows.map((row) => ({ ...toRef(row), type: row.type, deviceSucceeded: row.device_succeeded, dispatchedAt: row.dispatched_at }));
  }

  async hasLiveJob(deviceId: string, artifactId: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM rollout_jobs j JOIN rollouts r ON r.id = j.rollout_id
      WHERE j.device_id = ${deviceId} AND j.status = ANY(${IN_FLIGHT}::text[]) AND coalesce(j.target_artifact_id, r.artifact_id) = ${artifactId}::uuid LIMIT 1`;
    return rows.length > 0;
  }

  /** A device's jobs in any rollout, most recently changed first. */
  async ofDevice(deviceId: string, limit: number): Promise<DeviceRolloutJob[]> {
    const rows = await this.prisma.rolloutJob.findMany({
      where: { deviceId },
      include: { rollout: { select: { name: true, state: true, type: true } } },
      orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((row) => ({
      ...toRolloutJob(row),
      rolloutName: row.rollout.name,
      rolloutState: row.rollout.state as RolloutState,
      rolloutType: row.rollout.type as RolloutType,
    }));
  }

  /** A page of a rollout's jobs ordered by device id. */
  async page(rolloutId: string, filter: { status?: DeviceJobStatus; wave?: number }, limit: number, afterDeviceId?: string): Promise<RolloutJob[]> {
    const rows = await this.prisma.rolloutJob.findMany({
      where: {
        rolloutId,
        phase: 'install',
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.wave !== undefined ? { wave: filter.wave } : {}),
        ...(afterDeviceId ? { deviceId: { gt: afterDeviceId } } : {}),
      },
      orderBy: { deviceId: 'asc' },
      take: limit + 1,
    });
    return rows.map(toRolloutJob);
  }
}

function toRolloutJob(row: Prisma.RolloutJobGetPayload<object>): RolloutJob {
  return {
    jobId: row.id,
    rolloutId: row.rolloutId,
    deviceId: row.deviceId,
    wave: row.wave,
    status: row.status as DeviceJobStatus,
    attempts: row.attempts,
    progress: row.progress,
    lastError: row.lastError,
    dispatchedAt: row.dispatchedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
  };
}

function toRef(row: JobRefRow): JobRef {
  return { jobId: row.id, deviceId: row.device_id, rolloutId: row.rollout_id, ...(row.revert_to ? { revertTo: row.revert_to } : {}) };
}

/**
 * For relative health checks: the device's reported values at their paths (JSON null when absent),
 * recorded at an install job's first dispatch only, as `previous` is.
 */
function recordBaseline(paths: readonly string[]): Prisma.Sql {
  if (paths.length === 0) return Prisma.sql`j.health_baseline`;
  const pairs = Prisma.join(paths.map((path) => Prisma.sql`${path}::text, t.reported #> ${path.split('.')}::text[]`));
  return Prisma.sql`CASE WHEN j.phase = 'install' AND j.attempts = 0
    THEN (SELECT jsonb_build_object(${pairs}) FROM (SELECT 1) AS one LEFT JOIN device_twins t ON t.device_id = j.device_id)
    ELSE j.health_baseline END`;
}

/**
 * What an install job's device ran before, recorded at its first dispatch only (a retry keeps it):
 * firmware, the artifact of the device's last confirmed firmware job (its version is not guessed
 * from what it reports); config, the desired values of the keys the rollout sets (null: absent).
 */
function recordPrevious(payload: RolloutPayload): Prisma.Sql {
  const recorded =
    payload.type === 'firmware'
      ? Prisma.sql`(SELECT jsonb_build_object('artifactId', coalesce(p.target_artifact_id, pr.artifact_id))
          FROM rollout_jobs p JOIN rollouts pr ON pr.id = p.rollout_id
          WHERE p.device_id = j.device_id AND p.status = 'succeeded' AND pr.type = 'firmware' AND p.id <> j.id
          ORDER BY p.finished_at DESC LIMIT 1)`
      : Prisma.sql`(SELECT jsonb_build_object('desired', jsonb_object_agg(k.key, coalesce(t.desired -> k.key, 'null'::jsonb)))
          FROM unnest(${Object.keys(payload.config)}::text[]) AS k(key) LEFT JOIN device_twins t ON t.device_id = j.device_id)`;
  return Prisma.sql`CASE WHEN j.phase = 'install' AND j.attempts = 0 THEN ${recorded} ELSE j.previous END`;
}
