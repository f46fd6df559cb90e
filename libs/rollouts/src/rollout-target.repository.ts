import { Injectable } from '@nestjs/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import { type DeviceQuery, deviceQuerySql } from '@edgefleet/registry';
import type { PlanTarget } from './wave-planner';

/** Reads the devices a rollout targets: one query for the union of ids, groups and selector. */
@Injectable()
export class RolloutTargetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(deviceIds: readonly string[], queries: readonly DeviceQuery[], tx: DbTx = this.prisma): Promise<PlanTarget[]> {
    const clauses = queries.map((query) => Prisma.sql`(${deviceQuerySql(query)})`);
    if (deviceIds.length) clauses.push(Prisma.sql`d.id = ANY(${[...deviceIds]}::text[])`);
    if (clauses.length === 0) return [];
    const rows = await tx.$queryRaw<{ id: string; type: string; tags: string[]; group_ids: string[] }[]>`
      SELECT d.id, d.type, d.tags, ARRAY(SELECT gm.group_id::text FROM group_members gm WHERE gm.device_id = d.id) AS group_ids
      FROM devices d WHERE ${Prisma.join(clauses, ' OR ')}`;
    return rows.map((row) => ({ deviceId: row.id, type: row.type, tags: row.tags, groupIds: row.group_ids }));
  }

  async missingIds(deviceIds: readonly string[]): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT u.id FROM unnest(${[...deviceIds]}::text[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = u.id)`;
    return rows.map((row) => row.id);
  }
}
