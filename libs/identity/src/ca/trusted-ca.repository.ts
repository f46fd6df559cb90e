import { Injectable } from '@nestjs/common';
import { isUuid } from '@edgefleet/common';
import { type DbTx, Prisma, PrismaService } from '@edgefleet/database';
import type { AutoRegisterPolicy, TrustedCa } from './trusted-ca';

type TrustedCaRow = Prisma.TrustedCaGetPayload<object>;

@Injectable()
export class TrustedCaRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(ca: Omit<TrustedCa, 'id' | 'createdAt'>, tx: DbTx): Promise<TrustedCa> {
    const row = await tx.trustedCa.create({
      data: {
        fingerprint: ca.fingerprint,
        subject: ca.subject,
        certificatePem: ca.certificatePem,
        autoRegister: ca.autoRegister === null ? undefined : (ca.autoRegister as unknown as Prisma.InputJsonObject),
      },
    });
    return toTrustedCa(row);
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<TrustedCa | null> {
    if (!isUuid(id)) return null;
    const row = await tx.trustedCa.findUnique({ where: { id } });
    return row ? toTrustedCa(row) : null;
  }

  async setAutoRegister(id: string, autoRegister: AutoRegisterPolicy | null, tx: DbTx): Promise<TrustedCa> {
    const row = await tx.trustedCa.update({
      where: { id },
      data: { autoRegister: autoRegister === null ? Prisma.DbNull : (autoRegister as unknown as Prisma.InputJsonObject) },
    });
    return toTrustedCa(row);
  }

  async remove(id: string, tx: DbTx): Promise<void> {
    await tx.trustedCa.delete({ where: { id } });
  }

  async list(): Promise<TrustedCa[]> {
    const rows = await this.prisma.trustedCa.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(toTrustedCa);
  }
}

function toTrustedCa(row: TrustedCaRow): TrustedCa {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    subject: row.subject,
    certificatePem: row.certificatePem,
    autoRegister: (row.autoRegister as unknown as AutoRegisterPolicy | null) ?? null,
    createdAt: row.createdAt,
  };
}
