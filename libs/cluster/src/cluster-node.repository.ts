import { Injectable } from '@nestjs/common';
import { PrismaService } from '@edgefleet/database';

/** The `cluster_nodes` table: one row per live server process. */
@Injectable()
export class ClusterNodeRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Writes the node's heartbeat (the database's clock, so nodes' clocks need not agree). */
  async beat(nodeId: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO cluster_nodes (id, started_at, heartbeat_at) VALUES (${nodeId}, now(), now())
      ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`;
  }

  /** Ids of nodes whose heartbeat is younger than `deadAfterMs`, this one included. */
  async liveIds(deadAfterMs: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT id FROM cluster_nodes WHERE heartbeat_at > now() - make_interval(secs => ${deadAfterMs / 1000}) ORDER BY id`;
    return rows.map((row) => row.id);
  }

  /** Removes rows of dead nodes; returns their ids. */
  async removeDead(deadAfterMs: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      DELETE FROM cluster_nodes WHERE heartbeat_at <= now() - make_interval(secs => ${deadAfterMs / 1000}) RETURNING id`;
    return rows.map((row) => row.id);
  }

  async remove(nodeId: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM cluster_nodes WHERE id = ${nodeId}`;
  }
}
