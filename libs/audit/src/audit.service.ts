import { Injectable } from '@nestjs/common';
import { type Actor, InvalidInputError, type Page, decodeCursor, toPage } from '@edgefleet/common';
import type { DbTx } from '@edgefleet/database';
import type { AuditChange, AuditEntry, AuditQuery } from './audit-entry';
import { AuditRepository } from './audit.repository';

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** Records changes inside the caller's transaction: the change and its audit row commit together. */
  record(actor: Actor, changes: AuditChange | AuditChange[], tx: DbTx): Promise<void> {
    return this.audit.append(actor, Array.isArray(changes) ? changes : [changes], tx);
  }

  async list(query: AuditQuery): Promise<Page<AuditEntry>> {
    const cursor = decodeCursor(query.cursor);
    if (cursor !== undefined && !/^\d+$/.test(cursor)) throw new InvalidInputError('is not a cursor returned by this API', 'cursor');
    const rows = await this.audit.list(query, cursor === undefined ? undefined : BigInt(cursor));
    return toPage(rows, query.limit, (row) => row.id);
  }
}
