import { Injectable } from '@nestjs/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import { type DeviceQuery, deviceQuerySql } from '@edgefleet/registry';
import type { PlanTarget } from './wave-planner';

/** What to look for when a running rollout follows its selector and dynamic groups. */
export interface FollowedTarget {
  rolloutId: string;
  deviceIds: readonly string[];
  /** Every group's query and the selector: the whole target, for recounting the devices left out. */
  queries: readonly DeviceQuery[];
  /** The queries whose new matches are added (selector, dynamic groups). */
  followed: readonly DeviceQuery[];
  /** Firmware: the types the artifact is for; null for config. */
  deviceTypes: readonly string[] | null;
  /** The wave new jobs join. */
  wave: number;
}

export interface NewMatches {
  added: number;
  /** Devices the whole target matches now that have no job because the artifact is not for their type. */
  excluded: number;
  /** Up to ten of them, by id. */
  excludedSample: string[];
}

/** Reads the devices a rollout targets: one query for the union of ids, groups and selector. */
@Injectable()
export class RolloutTargetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(deviceIds: readonly string[], queries: readonly DeviceQuery[], tx: DbTx = this.prisma): Promise<PlanTarget[]> {
    const matches = matchSql(deviceIds, queries);
    if (!matches) return [];
    const rows = await tx.$queryRaw<{ id: string; type: string; tags: string[]; group_ids: string[] }[]>`
      SELECT d.id, d.type, d.tags, ARRAY(SELECT gm.group_id::text FROM group_members gm WHERE gm.device_id = d.id) AS group_ids
      FROM devices d WHERE ${matches}`;
    return rows.map((row) => ({ deviceId: row.id, type: row.type, tags: row.tags, groupIds: row.group_ids }));
  }

  /**
   * One statement however many devices joined: jobs for followed matches without one (after every
   * existing job in dispatch order), plus the recount of matches left out for their type. The
   * caller holds the rollout's row lock; the unique (rollout, device) key makes a repeat harmless anyway.
   */
  async appendNewMatches(target: FollowedTarget, tx: DbTx): Promise<NewMatches> {
    const whole = matchSql(target.deviceIds, target.queries);
    const followed = matchSql([], target.followed);
    if (!whole || !followed) return { added: 0, excluded: 0, excludedSample: [] };
    const fits = target.deviceTypes ? Prisma.sql`d.type = ANY(${[...target.deviceTypes]}::text[])` : Prisma.sql`TRUE`;
    const [row] = await tx.$queryRaw<{ added: number; excluded: number; excluded_sample: string[] }[]>`
      WITH unplanned AS (
        SELECT d.id, ${fits} AS fits, (${followed}) AS followed FROM devices d
        WHERE (${whole}) AND NOT EXISTS (SELECT 1 FROM rollout_jobs j WHERE j.rollout_id = ${target.rolloutId}::uuid AND j.device_id = d.id)),
      added AS (
        INSERT INTO rollout_jobs (rollout_id, device_id, wave, position, status)
        SELECT ${target.rolloutId}::uuid, u.id, ${target.wave}, last.position + row_number() OVER (ORDER BY u.id), 'queued'
        FROM unplanned u, (SELECT coalesce(max(position), -1) AS position FROM rollout_jobs WHERE rollout_id = ${target.rolloutId}::uuid) last
        WHERE u.fits AND u.followed
        ON CONFLICT (rollout_id, device_id, phase) DO NOTHING
        RETURNING 1)
      SELECT (SELECT count(*) FROM added)::int AS added, (SELECT count(*) FROM unplanned WHERE NOT fits)::int AS excluded,
        ARRAY(SELECT id FROM unplanned WHERE NOT fits ORDER BY id LIMIT 10) AS excluded_sample`;
    return { added: row.added, excluded: row.excluded, excludedSample: row.excluded_sample };
  }

  async missingIds(deviceIds: readonly string[]): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT u.id FROM unnest(${[...deviceIds]}::text[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = u.id)`;
    return rows.map((row) => row.id);
  }
}

/** `d` matches any of the ids or queries; null when there is nothing to match. */
function matchSql(deviceIds: readonly string[], queries: readonly DeviceQuery[]): Prisma.Sql | null {
  const clauses = queries.map((query) => Prisma.sql`(${deviceQuerySql(query)})`);
  if (deviceIds.length) clauses.push(Prisma.sql`d.id = ANY(${[...deviceIds]}::text[])`);
  return clauses.length ? Prisma.join(clauses, ' OR ') : null;
}
