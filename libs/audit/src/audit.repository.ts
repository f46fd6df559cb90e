import { Injectable } from '@nestjs/common';
import { type DbTx, PrismaService } from '@edgefleet/database';
import type { AuditEntry, AuditQuery, AuditRecord } from './audit-entry';

/** The audit log is append-only: rows are inserted with the change they describe, in its transaction. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One statement whatever the count (a 10,000-device batch writes 10,000 entries); see DeviceRepository.createMany. */
  async append(records: AuditRecord[], tx: DbTx): Promise<void> {
    if (records.length === 0) return;
    const rows = JSON.stringify(records.map(toRow));
    await tx.$executeRaw`
      INSERT INTO audit_log (actor_id, actor_name, action, resource_type, resource_id, before, after)
      SELECT r.actor_id, r.actor_name, r.action, r.resource_type, r.resource_id, r.before, r.after
      FROM jsonb_to_recordset(${rows}::jsonb)
        AS r(actor_id text, actor_name text, action text, resource_type text, resource_id text, before jsonb, after jsonb)`;
  }

  async list(query: AuditQuery, beforeId?: bigint): Promise<AuditEntry[]> {
    const rows = await this.prisma.auditEntry.findMany({
      where: {
        resourceType: query.resourceType,
        resourceId: query.resourceId,
        actorId: query.actorId,
        action: query.action,
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

function toRow(record: AuditRecord) {
  return {
    actor_id: record.actor.id,
    actor_name: record.actor.name,
    action: record.action,
    resource_type: record.resourceType,
    resource_id: record.resourceId,
    before: record.before ?? null,
    after: record.after ?? null,
  };
}
