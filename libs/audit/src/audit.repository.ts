import { Injectable } from '@nestjs/common';
import type { Actor } from '@edgefleet/common';
import { type DbTx, PrismaService } from '@edgefleet/database';
import type { AuditChange, AuditEntry, AuditQuery } from './audit-entry';

/** The audit log is append-only: rows are inserted with the change they describe, in its transaction. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One statement whatever the count (a 10,000-device batch writes 10,000 entries); see
   * DeviceRepository.createMany. The actor is one parameter and the changes are serialised
   * as they are (the record's columns are named after their fields): no row objects to build,
   * and a smaller document for Postgres to parse.
   */
  async append(actor: Actor, changes: readonly AuditChange[], tx: DbTx): Promise<void> {
    if (changes.length === 0) return;
    await tx.$executeRaw`
      INSERT INTO audit_log (actor_id, actor_name, action, resource_type, resource_id, before, after)
      SELECT ${actor.id}, ${actor.name}, r.action, r."resourceType", r."resourceId", r.before, r.after
      FROM jsonb_to_recordset(${JSON.stringify(changes)}::jsonb)
        AS r(action text, "resourceType" text, "resourceId" text, before jsonb, after jsonb)`;
  }

  async list(query: AuditQuery, beforeId?: bigint): Promise<AuditEntry[]> {
    const rows = await this.prisma.auditEntry.findMany({
      where: {
        resourceType: query.resourceType,
        resourceId: query.resourceId,
        actorId: query.actorId,
        action: query.action,
        ...(query.since || query.until ? { at: { gte: query.since, lt: query.until } } : {}),
        ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit + 1,
    });
    return rows.map((row) => ({
      id: row.id.toString(),
      at: row.at,
      actorId: row.actorId,
      actorName: row.actorName,
      action: row.action,
      resourceType: row.resourceType,
      resourceId: row.resourceId,
      before: row.before ?? undefined,
      after: row.after ?? undefined,
    }));
  }
}
