export interface AuditChange {
  action: string;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry extends AuditChange {
  id: string;
  at: Date;
  actorId: string | null;
  actorName: string;
}

export interface AuditQuery {
  resourceType?: string;
  resourceId?: string;
  actorId?: string;
  action?: string;
  /** At or after. */
  since?: Date;
  /** Before. */
  until?: Date;
  limit: number;
  cursor?: string;
}
