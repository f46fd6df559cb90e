import { Injectable } from '@nestjs/common';
import { isUuid } from '@edgefleet/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import type { RolloutState, RolloutType } from '@edgefleet/contracts';
import type { NewRollout, Rollout, RolloutChanges, RolloutDefinition, RolloutPayload } from './rollout';

type RolloutRow = Prisma.RolloutGetPayload<object>;

/** Rollout rows. Scheduling locks a rollout row for the length of one step, so two servers never step the same rollout at once. */
@Injectable()
export class RolloutRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(rollout: NewRollout, state: RolloutState, tx: DbTx): Promise<Rollout> {
    const row = await tx.rollout.create({
      data: {
        name: rollout.name,
        type: rollout.payload.type,
        state,
        definition: rollout.definition as unknown as Prisma.InputJsonValue,
        payload: rollout.payload as unknown as Prisma.InputJsonValue,
        artifactId: rollout.payload.type === 'firmware' ? rollout.payload.artifact.id : null,
        startAt: rollout.startAt,
        nextTickAt: rollout.startAt ?? new Date(),
        createdBy: rollout.createdBy,
      },
    });
    return toRollout(row);
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<Rollout | null> {
    if (!isUuid(id)) return null;
    const row = await tx.rollout.findUnique({ where: { id } });
    return row ? toRollout(row) : null;
  }

  /** Newest first (ids are UUIDv7, so id order is creation order). */
  async list(limit: number, beforeId?: string, state?: RolloutState): Promise<Rollout[]> {
    const rows = await this.prisma.rollout.findMany({
      where: { ...(beforeId ? { id: { lt: beforeId } } : {}), ...(state ? { state } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    return rows.map(toRollout);
  }

  /** Locks one rollout that is due, skipping rows another server is stepping right now. */
  async lockNextDue(tx: DbTx): Promise<Rollout | null> {
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM rollouts WHERE next_tick_at <= now() ORDER BY next_tick_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
    return row ? this.findById(row.id, tx) : null;
  }

  /** Locks this rollout unless another server holds it (then null: that server is stepping it). */
  async lockIfFree(id: string, tx: DbTx): Promise<Rollout | null> {
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM rollouts WHERE id = ${id}::uuid AND next_tick_at IS NOT NULL FOR UPDATE SKIP LOCKED`;
    return row ? this.findById(row.id, tx) : null;
  }

  /** Locks the rollout, waiting for a scheduler step in progress to finish. */
  async lock(id: string, tx: DbTx): Promise<Rollout | null> {
    if (!isUuid(id)) return null;
    await tx.$queryRaw`SELECT id FROM rollouts WHERE id = ${id}::uuid FOR UPDATE`;
    return this.findById(id, tx);
  }

  async update(id: string, changes: RolloutChanges, tx: DbTx): Promise<Rollout> {
    const row = await tx.rollout.update({ where: { id }, data: changes });
    return toRollout(row);
  }

  async postpone(id: string, delayMs: number): Promise<void> {
    await this.prisma.$executeRaw`UPDATE rollouts SET next_tick_at = now() + ${delayMs} * interval '1 millisecond' WHERE id = ${id}::uuid AND next_tick_at IS NOT NULL`;
  }

  /** Names of rollouts that still need the artifact: not final, or final with jobs still in flight. */
  async namesUsingArtifact(artifactId: string): Promise<string[]> {
    const rows = await this.prisma.rollout.findMany({
      where: { artifactId, nextTickAt: { not: null } },
      select: { name: true },
      take: 5,
    });
    return rows.map((row) => row.name);
  }
}

function toRollout(row: RolloutRow): Rollout {
  return {
    id: row.id,
    name: row.name,
    type: row.type as RolloutType,
    state: row.state as RolloutState,
    reason: row.reason,
    definition: row.definition as unknown as RolloutDefinition,
    payload: row.payload as unknown as RolloutPayload,
    currentWave: row.currentWave,
    waveSettledAt: row.waveSettledAt,
    targetCount: row.targetCount,
    excludedCount: row.excludedCount,
    startAt: row.startAt,
    nextTickAt: row.nextTickAt,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
    gateWave: row.gateWave,
    revertingSince: row.revertingSince,
  };
}
