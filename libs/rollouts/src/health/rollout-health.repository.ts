import { Injectable } from '@nestjs/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import type { RolloutType } from '@edgefleet/contracts';
import type { BakeObservation, BakeRecord, HealthSample } from './device-bake';
import { MISSING } from './health-check';
import type { DeviceHealth, HealthSpec } from './health-spec';

/** An install job whose device is baking (or has just succeeded), with what its next bake step reads. */
export interface BakingJob {
  jobId: string;
  deviceId: string;
  wave: number;
  /** Null: success just confirmed, no bake row yet. */
  record: BakeRecord | null;
  observation: BakeObservation;
}

export interface BakeWrite {
  jobId: string;
  record: BakeRecord;
}

export interface VerdictCounts {
  succeeded: number;
  pending: number;
  healthy: number;
  unhealthy: number;
  inconclusive: number;
}

/** A device of a wave with a bad verdict, and what it reported. */
export interface WorstDevice {
  deviceId: string;
  health: DeviceHealth;
  samples: HealthSample[];
}

/** A device's health and revert as GET /rollouts/{id}/devices shows them. */
export interface DeviceHealthView {
  health: DeviceHealth | null;
  bakedSeconds: number;
  samples: HealthSample[];
  previous: unknown;
  /** `health`: the verdict of its verification bake (null until it succeeded). */
  revert: { jobId: string; status: string; attempts: number; lastError: string | null; version: string | null; health: DeviceHealth | null; samples: HealthSample[] } | null;
}

/** `VerdictCounts` over the succeeded jobs selected (no row yet counts as pending). */
const VERDICT_COUNTS = Prisma.sql`count(*)::int AS succeeded,
  count(*) FILTER (WHERE health IS NULL OR health = 'pending')::int AS pending,
  count(*) FILTER (WHERE health = 'healthy')::int AS healthy,
  count(*) FILTER (WHERE health = 'unhealthy')::int AS unhealthy,
  count(*) FILTER (WHERE health = 'inconclusive')::int AS inconclusive`;

/** Health state of rollout jobs: bakes, verdict counts, revert jobs. Every hot statement covers a whole rollout or wave. */
@Injectable()
export class RolloutHealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Succeeded jobs of `phase` without a verdict, with their device's presence and the reported
   * value at each check's path: install jobs (those with no revert), or revert jobs in their
   * verification bake, whose expected version is the one they sent the device back to.
   */
  async baking(rolloutId: string, spec: HealthSpec, expectedVersion: string | null, tx: DbTx, phase: 'install' | 'revert' = 'install'): Promise<BakingJob[]> {
    const values = spec.checks.length
      ? Prisma.sql`jsonb_build_array(${Prisma.join(
          spec.checks.map((check) => {
            const path = check.path.split('.');
            // [] when the path is absent, [value] when present (a reported null included).
            return Prisma.sql`CASE WHEN t.reported #> ${path}::text[] IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(t.reported #> ${path}::text[]) END`;
          }),
        )})`
      : Prisma.sql`'[]'::jsonb`;
    const rows = await tx.$queryRaw<
      {
        id: string;
        device_id: string;
        wave: number;
        health: DeviceHealth | null;
        baked_ms: number;
        online_since: Date | null;
        health_failures: number;
        health_seen: number;
        health_samples: HealthSample[] | null;
        health_baseline: Record<string, unknown> | null;
        finished_at: Date;
        online: boolean;
        last_seen_at: Date | null;
        firmware_version: string | null;
        target_version: string | null;
        connects: Date[];
        vals: unknown[][];
      }[]
    >`
      SELECT j.id, j.device_id, j.wave, j.health, j.baked_ms, j.online_since, j.health_failures, j.health_seen, j.health_samples, j.health_baseline, j.finished_at,
        d.online, d.last_seen_at, d.firmware_version, j.target_version, ${values} AS vals,
        -- Sessions begun after the success was confirmed: the install's own reboot came before it.
        ARRAY(SELECT c FROM unnest(d.recent_connects) AS c WHERE c > j.finished_at ORDER BY c) AS connects
      FROM rollout_jobs j JOIN devices d ON d.id = j.device_id LEFT JOIN device_twins t ON t.device_id = j.device_id
      WHERE j.rollout_id = ${rolloutId}::uuid AND j.phase = ${phase} AND j.status = 'succeeded' AND (j.health IS NULL OR j.health = 'pending')
        -- A device sent back has left the install's bake: its old version is no regression.
        AND (${phase}::text = 'revert' OR NOT EXISTS (SELECT 1 FROM rollout_jobs r WHERE r.rollout_id = j.rollout_id AND r.device_id = j.device_id AND r.phase = 'revert'))`;
    return rows.map((row) => ({
      jobId: row.id,
      deviceId: row.device_id,
      wave: row.wave,
      record:
        row.health === null
          ? null
          : { health: row.health, bakedMs: row.baked_ms, onlineSince: row.online_since, failures: row.health_failures, seenMask: row.health_seen, samples: row.health_samples ?? [] },
      observation: {
        succeededAt: row.finished_at,
        online: row.online,
        lastSeenAt: row.last_seen_at,
        values: spec.checks.map((_, index) => (row.vals[index]?.length ? row.vals[index][0] : MISSING)),
        firmwareVersion: row.firmware_version,
        expectedVersion: phase === 'revert' ? row.target_version : expectedVersion,
        connectsSinceSuccess: row.connects,
        baselines: spec.checks.map((check) => (check.relative ? row.health_baseline?.[check.path] : undefined)),
      },
    }));
  }

  /**
   * Rows a report batch holds right now are skipped, not waited for: the scheduler's transaction
   * already holds rows it confirmed, and waiting here could deadlock with a batch (which locks in
   * id order). A skipped bake is advanced at the next interval from the same stored state.
   */
  async writeBakes(writes: readonly BakeWrite[], tx: DbTx): Promise<void> {
    if (writes.length === 0) return;
    const r = writes.map((w) => w.record);
    await tx.$executeRaw`
      WITH free AS (SELECT id FROM rollout_jobs WHERE id = ANY(${writes.map((w) => w.jobId)}::uuid[]) ORDER BY id FOR UPDATE SKIP LOCKED)
      UPDATE rollout_jobs j SET health = u.health, baked_ms = u.baked_ms, online_since = u.online_since, health_failures = u.failures,
        health_seen = u.seen, health_samples = u.samples::jsonb, health_at = CASE WHEN u.health <> 'pending' THEN now() ELSE NULL END, updated_at = now()
      FROM unnest(${writes.map((w) => w.jobId)}::uuid[], ${r.map((x) => x.health)}::text[], ${r.map((x) => x.bakedMs)}::int[],
        ${r.map((x) => x.onlineSince)}::timestamptz[], ${r.map((x) => x.failures)}::int[], ${r.map((x) => x.seenMask)}::int[],
        ${r.map((x) => JSON.stringify(x.samples))}::text[]) AS u(id, health, baked_ms, online_since, failures, seen, samples)
      WHERE j.id = u.id AND j.id IN (SELECT id FROM free)`;
  }

  async verdictCounts(rolloutId: string, wave: number, tx: DbTx): Promise<VerdictCounts> {
    const [row] = await tx.$queryRaw<VerdictCounts[]>`
      SELECT ${VERDICT_COUNTS}
      FROM rollout_jobs WHERE rollout_id = ${rolloutId}::uuid AND phase = 'install' AND wave = ${wave} AND status = 'succeeded'`;
    return row;
  }

  /** Verdicts of the verification bakes of a rollout's succeeded reverts, and the first devices not healthy on their previous version. */
  async revertVerdicts(rolloutId: string, limit: number, tx: DbTx): Promise<VerdictCounts & { notHealthy: string[] }> {
    const [row] = await tx.$queryRaw<(VerdictCounts & { not_healthy: string[] | null })[]>`
      SELECT ${VERDICT_COUNTS},
        (array_agg(device_id ORDER BY device_id) FILTER (WHERE health IN ('unhealthy', 'inconclusive')))[1:${limit}] AS not_healthy
      FROM rollout_jobs WHERE rollout_id = ${rolloutId}::uuid AND phase = 'revert' AND status = 'succeeded'`;
    const { not_healthy, ...counts } = row;
    return { ...counts, notHealthy: not_healthy ?? [] };
  }

  async worstDevices(rolloutId: string, wave: number, limit: number, tx: DbTx): Promise<WorstDevice[]> {
    const rows = await tx.$queryRaw<{ device_id: string; health: DeviceHealth; health_samples: HealthSample[] | null }[]>`
      SELECT device_id, health, health_samples FROM rollout_jobs
      WHERE rollout_id = ${rolloutId}::uuid AND phase = 'install' AND wave = ${wave} AND health IN ('unhealthy', 'inconclusive')
      ORDER BY health DESC, health_at, device_id LIMIT ${limit}`;
    return rows.map((row) => ({ deviceId: row.device_id, health: row.health, samples: row.health_samples ?? [] }));
  }

  /**
   * A revert job for each succeeded install job that has none (at most one per device: the unique
   * key), optionally only for some devices. Firmware goes back to the artifact recorded at dispatch,
   * config to the desired values recorded then. A device with no known previous version (or whose
   * previous artifact is gone) gets a `cancelled` revert saying so: it is listed, not guessed.
   */
  async insertReverts(rolloutId: string, type: RolloutType, tx: DbTx, deviceIds?: readonly string[]): Promise<{ queued: number; unknown: number }> {
    const only = deviceIds ? Prisma.sql`AND j.device_id = ANY(${[...deviceIds]}::text[])` : Prisma.empty;
    const target =
      type === 'firmware'
        ? Prisma.sql`(SELECT jsonb_build_object('artifact', jsonb_build_object('id', a.id, 'name', a.name, 'version', a.version, 'size', a.size,
              'sha256', a.sha256, 'signature', a.signature, 'deviceTypes', to_jsonb(a.device_types))) AS revert_to, a.id AS artifact_id, a.version
            FROM artifacts a WHERE a.id = (j.previous->>'artifactId')::uuid)`
        : Prisma.sql`(SELECT jsonb_build_object('config', j.previous->'desired') AS revert_to, NULL::uuid AS artifact_id, NULL::text AS version
            WHERE jsonb_typeof(j.previous->'desired') = 'object')`;
    const [row] = await tx.$queryRaw<{ queued: number; unknown: number }[]>`
      WITH inserted AS (
        INSERT INTO rollout_jobs (rollout_id, device_id, wave, position, status, phase, revert_to, target_artifact_id, target_version, last_error, finished_at)
        SELECT j.rollout_id, j.device_id, j.wave, j.position, CASE WHEN p.revert_to IS NULL THEN 'cancelled' ELSE 'queued' END, 'revert',
          p.revert_to, p.artifact_id, p.version,
          CASE WHEN p.revert_to IS NULL THEN 'no known previous version: left as it is' END,
          CASE WHEN p.revert_to IS NULL THEN now() END
        FROM rollout_jobs j LEFT JOIN LATERAL ${target} p ON TRUE
        WHERE j.rollout_id = ${rolloutId}::uuid AND j.phase = 'install' AND j.status = 'succeeded' ${only}
        ON CONFLICT (rollout_id, device_id, phase) DO NOTHING
        RETURNING status)
      SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status = 'cancelled')::int AS unknown FROM inserted`;
    return row;
  }

  /** Of these devices, those with no confirmed firmware job whose artifact still exists: a revert could not send them back. */
  async withoutKnownFirmware(deviceIds: readonly string[]): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT u.id FROM unnest(${[...deviceIds]}::text[]) AS u(id) WHERE NOT EXISTS (
        SELECT 1 FROM rollout_jobs p JOIN rollouts pr ON pr.id = p.rollout_id JOIN artifacts a ON a.id = coalesce(p.target_artifact_id, pr.artifact_id)
        WHERE p.device_id = u.id AND p.status = 'succeeded' AND pr.type = 'firmware')
      ORDER BY u.id`;
    return rows.map((row) => row.id);
  }

  /** Devices of the rollout whose revert found no previous version (up to `limit`). */
  async unknownPrevious(rolloutId: string, limit: number): Promise<{ count: number; deviceIds: string[] }> {
    const [row] = await this.prisma.$queryRaw<{ count: number; ids: string[] }[]>`
      SELECT count(*)::int AS count, (array_agg(device_id ORDER BY device_id))[1:${limit}] AS ids FROM rollout_jobs
      WHERE rollout_id = ${rolloutId}::uuid AND phase = 'revert' AND revert_to IS NULL`;
    return { count: row.count, deviceIds: row.ids ?? [] };
  }

  /** Failed revert jobs (final and not succeeded, a known target), up to `limit` by device. */
  async failedReverts(rolloutId: string, limit: number, tx: DbTx): Promise<{ count: number; deviceIds: string[] }> {
    const [row] = await tx.$queryRaw<{ count: number; ids: string[] }[]>`
      SELECT count(*)::int AS count, (array_agg(device_id ORDER BY device_id))[1:${limit}] AS ids FROM rollout_jobs
      WHERE rollout_id = ${rolloutId}::uuid AND phase = 'revert' AND revert_to IS NOT NULL AND status IN ('failed', 'rejected', 'timed_out')`;
    return { count: row.count, deviceIds: row.ids ?? [] };
  }

  /** Failed revert jobs go back to the queue for another round of attempts (an operator resumed). */
  async requeueFailedReverts(rolloutId: string, tx: DbTx): Promise<number> {
    return tx.$executeRaw`
      UPDATE rollout_jobs SET status = 'queued', attempts = 0, device_succeeded = false, finished_at = NULL, next_attempt_at = NULL, updated_at = now()
      WHERE rollout_id = ${rolloutId}::uuid AND phase = 'revert' AND revert_to IS NOT NULL AND status IN ('failed', 'rejected', 'timed_out')`;
  }

  /**
   * `gated`: a succeeded install job with no bake record is baking since its success, when that
   * is implied (see `impliedBake`); `verifying`: a succeeded revert job with none is in its
   * verification bake (the rollout has a health gate).
   */
  async viewsOf(rolloutId: string, deviceIds: readonly string[], { gated, verifying }: { gated: boolean; verifying: boolean }): Promise<Map<string, DeviceHealthView>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<
      {
        device_id: string;
        health: DeviceHealth | null;
        baked_ms: number;
        online_since: Date | null;
        implied_since: Date | null;
        health_samples: HealthSample[] | null;
        previous: unknown;
        revert_id: string | null;
        revert_status: string | null;
        revert_attempts: number | null;
        revert_error: string | null;
        revert_version: string | null;
        revert_health: DeviceHealth | null;
        revert_samples: HealthSample[] | null;
      }[]
    >`
      SELECT i.device_id, i.health, i.baked_ms, i.online_since, i.health_samples, i.previous,
        CASE WHEN ${gated}::boolean AND i.health IS NULL AND i.status = 'succeeded' AND d.online AND NOT EXISTS (SELECT 1 FROM unnest(d.recent_connects) AS c WHERE c > i.finished_at)
          THEN i.finished_at END AS implied_since,
        r.id AS revert_id, r.status AS revert_status, r.attempts AS revert_attempts, r.last_error AS revert_error, r.target_version AS revert_version,
        r.health AS revert_health, r.health_samples AS revert_samples
      FROM rollout_jobs i JOIN devices d ON d.id = i.device_id
        LEFT JOIN rollout_jobs r ON r.rollout_id = i.rollout_id AND r.device_id = i.device_id AND r.phase = 'revert'
      WHERE i.rollout_id = ${rolloutId}::uuid AND i.phase = 'install' AND i.device_id = ANY(${[...deviceIds]}::text[])`;
    const now = Date.now();
    return new Map(
      rows.map((row) => [
        row.device_id,
        {
          health: row.health,
          bakedSeconds: Math.floor((row.baked_ms + onlineFor(row.online_since ?? row.implied_since, now)) / 1000),
          samples: row.health_samples ?? [],
          previous: row.previous,
          revert: row.revert_id
            ? {
                jobId: row.revert_id,
                status: row.revert_status!,
                attempts: row.revert_attempts!,
                lastError: row.revert_error,
                version: row.revert_version,
                // Succeeded with no row yet: its verification bake has begun.
                health: row.revert_health ?? (verifying && row.revert_status === 'succeeded' ? 'pending' : null),
                samples: row.revert_samples ?? [],
              }
            : null,
        },
      ]),
    );
  }
}

function onlineFor(since: Date | null, now: number): number {
  return since ? Math.max(0, now - since.getTime()) : 0;
}
