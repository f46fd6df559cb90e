import { Injectable } from '@nestjs/common';
import type { Prisma } from './generated/client';
import { PrismaService } from './prisma.service';

/** A database handle inside a transaction; repositories accept it so a use-case commits as one. */
export type DbTx = Prisma.TransactionClient;

/** Runs a unit of work in one transaction, so a failure writes nothing. */
@Injectable()
export class Transactor {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(work: (tx: DbTx) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    return this.prisma.$transaction(work, { timeout: options.timeoutMs ?? 30_000, maxWait: 10_000 });
  }
}
