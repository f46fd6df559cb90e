import { Injectable } from '@nestjs/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';
import type { AuditEntry, AuditQuery, AuditRecord } from './audit-entry';

/** The audit log is append-only: rows are inserted with the change they describe, in its transaction. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async append(records: AuditRecord[], tx: DbTx): Promise<void> {
    if (records.length === 0) return;
    await tx.auditEntry.createMany({ data: records.map(toRow) });
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

function toRow(record: AuditRecord): Prisma.AuditEntryCreateManyInput {
  return {
    actorId: record.actor.id,
    actorName: record.actor.name,
    action: record.action,
    resourceType: record.resourceType,
    resourceId: record.resourceId,
    before: toJson(record.before),
    after: toJson(record.after),
  };
}

function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  return value === undefined || value === null ? undefined : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}
