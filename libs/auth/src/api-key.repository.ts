import { Injectable } from '@nestjs/common';
import type { ApiRole } from '@edgefleet/contracts';
import { type DbTx, PrismaService } from '@edgefleet/database';
import type { ApiKey } from './api-key';

const columns = { id: true, name: true, role: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(key: { name: string; role: ApiRole; tokenHash: string; prefix: string }, tx: DbTx): Promise<ApiKey> {
    return tx.apiKey.create({ data: key, select: columns });
  }

  findActiveByHash(tokenHash: string, tx: DbTx = this.prisma): Promise<ApiKey | null> {
    return tx.apiKey.findFirst({ where: { tokenHash, revokedAt: null }, select: columns });
  }

  findById(id: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { id }, select: columns });
  }

  list(limit: number, afterId?: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: 'asc' },
      take: limit + 1,
      select: columns,
    });
  }

  async hasActiveAdmin(tx: DbTx = this.prisma): Promise<boolean> {
    return (await tx.apiKey.count({ where: { role: 'admin', revokedAt: null } })) > 0;
  }

  /**
   * Serialises the admin bootstrap until the transaction ends, across server processes sharing
   * the database: nodes of a cluster starting together would otherwise all find no key and all insert it.
   */
  async lockBootstrap(tx: DbTx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('api-key-bootstrap', 0))`;
  }

  revoke(id: string, tx: DbTx): Promise<ApiKey> {
    return tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() }, select: columns });
  }

  async touch(ids: string[], at: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({ where: { id: { in: ids } }, data: { lastUsedAt: at } });
  }
}
