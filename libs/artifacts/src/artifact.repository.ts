import { Injectable } from '@nestjs/common';
import { type DbTx, PrismaService } from '@edgefleet/database';
import type { Artifact } from './artifact';

type NewArtifact = Omit<Artifact, 'createdAt' | 'quarantine'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class ArtifactRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(artifact: NewArtifact, tx: DbTx): Promise<Artifact> {
    const row = await tx.artifact.create({ data: { ...artifact, size: BigInt(artifact.size) } });
    return toArtifact(row);
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<Artifact | null> {
    if (!UUID.test(id)) return null;
    const row = await tx.artifact.findUnique({ where: { id } });
    return row ? toArtifact(row) : null;
  }

  async findByNameVersion(name: string, version: string, tx: DbTx): Promise<Artifact | null> {
    const row = await tx.artifact.findUnique({ where: { name_version: { name, version } } });
    return row ? toArtifact(row) : null;
  }

  async list(limit: number, afterId?: string): Promise<Artifact[]> {
    const rows = await this.prisma.artifact.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    return rows.map(toArtifact);
  }

  async delete(id: string, tx: DbTx): Promise<void> {
    await tx.artifact.delete({ where: { id } });
  }

  /** Quarantines it unless it already is (the first reason stays). */
  async quarantine(id: string, reason: string, tx: DbTx): Promise<void> {
    await tx.artifact.updateMany({ where: { id, quarantinedAt: null }, data: { quarantinedAt: new Date(), quarantineReason: reason } });
  }

  async liftQuarantine(id: string, tx: DbTx): Promise<void> {
    await tx.artifact.updateMany({ where: { id }, data: { quarantinedAt: null, quarantineReason: null } });
  }

  async countWithContent(sha256: string, tx: DbTx): Promise<number> {
    return tx.artifact.count({ where: { sha256 } });
  }

  /**
   * Serialises everything that places or removes the file for one hash until the
   * transaction ends, across server processes sharing the database: an upload of bytes
   * already stored cannot race a delete that is removing them.
   */
  async lockContent(sha256: string, tx: DbTx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`artifact-content:${sha256}`}, 0))`;
  }
}

interface ArtifactRow {
  id: string;
  name: string;
  version: string;
  deviceTypes: string[];
  size: bigint;
  sha256: string;
  signature: string;
  signingKeyId: string;
  createdAt: Date;
  quarantinedAt: Date | null;
  quarantineReason: string | null;
}

function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    deviceTypes: row.deviceTypes,
    size: Number(row.size),
    sha256: row.sha256,
    signature: row.signature,
    signingKeyId: row.signingKeyId,
    createdAt: row.createdAt,
    quarantine: row.quarantinedAt ? { at: row.quarantinedAt, reason: row.quarantineReason ?? '' } : null,
  };
}
