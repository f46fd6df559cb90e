import { Injectable } from '@nestjs/common';
import { PrismaService } from '@edgefleet/database';
import type { SigningKey } from './signing-key';

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Idempotent: publishing a key already known changes nothing. */
  async publish(id: string, publicKeyPem: string): Promise<void> {
    await this.prisma.signingKey.createMany({ data: [{ id, publicKeyPem }], skipDuplicates: true });
  }

  async list(): Promise<SigningKey[]> {
    const rows = await this.prisma.signingKey.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    return rows.map((row) => ({ id: row.id, publicKeyPem: row.publicKeyPem, createdAt: row.createdAt }));
  }
}
