import { Injectable } from '@nestjs/common';
import { isUuid } from '@edgefleet/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';
import { tagsFromList, tagsToList } from '@edgefleet/contracts';
import type { NewClaim, ProvisioningClaim } from './provisioning-claim';

type ClaimRow = Prisma.ProvisioningClaimGetPayload<object>;

@Injectable()
export class ProvisioningClaimRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(claim: NewClaim, secretHash: string, tx: DbTx): Promise<ProvisioningClaim> {
    const row = await tx.provisioningClaim.create({
      data: { secretHash, type: claim.type, tags: tagsToList(claim.tags ?? {}), maxUses: claim.maxUses, expiresAt: claim.expiresAt },
    });
    return toClaim(row);
  }

  async list(): Promise<ProvisioningClaim[]> {
    return (await this.prisma.provisioningClaim.findMany({ orderBy: { createdAt: 'desc' } })).map(toClaim);
  }

  async findWithSecret(id: string, tx: DbTx = this.prisma): Promise<(ProvisioningClaim & { secretHash: string }) | null> {
    if (!isUuid(id)) return null;
    const row = await tx.provisioningClaim.findUnique({ where: { id } });
    return row ? { ...toClaim(row), secretHash: row.secretHash } : null;
  }

  /** Takes one use if the claim still has one, is not expired and not revoked; false otherwise. Atomic, so concurrent devices never overdraw it. */
  async takeUse(id: string, now: Date, tx: DbTx): Promise<boolean> {
    const taken = await tx.$executeRaw`
      UPDATE provisioning_claims SET used = used + 1
      WHERE id = ${id}::uuid AND used < max_uses AND expires_at > ${now} AND revoked_at IS NULL`;
    return taken === 1;
  }

  async returnUse(id: string, tx: DbTx): Promise<void> {
    await tx.$executeRaw`UPDATE provisioning_claims SET used = used - 1 WHERE id = ${id}::uuid AND used > 0`;
  }

  async revoke(id: string, at: Date, tx: DbTx): Promise<void> {
    await tx.provisioningClaim.update({ where: { id }, data: { revokedAt: at } });
  }
}

function toClaim(row: ClaimRow): ProvisioningClaim {
  return {
    id: row.id,
    type: row.type,
    tags: tagsFromList(row.tags),
    maxUses: row.maxUses,
    used: row.used,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}
