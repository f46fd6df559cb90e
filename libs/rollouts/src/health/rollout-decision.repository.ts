import { Injectable } from '@nestjs/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';

/** One health gate evaluation that changed something, or an operator's override of the gate. */
export interface RolloutDecision {
  id: string;
  rolloutId: string;
  at: Date;
  wave: number;
  rule: string;
  action: string;
  actedBy: 'rule' | 'operator';
  actorName: string;
  reason: string;
  detail: Record<string, unknown>;
}

export type NewDecision = Omit<RolloutDecision, 'id' | 'at'>;

/** The append-only decision record: rows are inserted, never updated or deleted (they go with their rollout). */
@Injectable()
export class RolloutDecisionRepository {
  constructor(private readonly prisma: PrismaService) {}

  async append(decision: NewDecision, tx: DbTx): Promise<RolloutDecision> {
    const row = await tx.rolloutDecision.create({ data: { ...decision, detail: decision.detail as Prisma.InputJsonValue } });
    return toDecision(row);
  }

  async has(rolloutId: string, rule: string, tx: DbTx): Promise<boolean> {
    return (await tx.rolloutDecision.count({ where: { rolloutId, rule } })) > 0;
  }

  /** Oldest first, after the decision with id `afterId`. */
  async list(rolloutId: string, limit: number, afterId?: string): Promise<RolloutDecision[]> {
    const rows = await this.prisma.rolloutDecision.findMany({
      where: { rolloutId, ...(afterId ? { id: { gt: BigInt(afterId) } } : {}) },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    return rows.map(toDecision);
  }
}

function toDecision(row: Prisma.RolloutDecisionGetPayload<object>): RolloutDecision {
  return {
    id: row.id.toString(),
    rolloutId: row.rolloutId,
    at: row.at,
    wave: row.wave,
    rule: row.rule,
    action: row.action,
    actedBy: row.actedBy as RolloutDecision['actedBy'],
    actorName: row.actorName,
    reason: row.reason,
    detail: row.detail as Record<string, unknown>,
  };
}
