import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import type { DatabaseProcess } from './database-process';
import { PrismaClient } from './generated/client';

export const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool; Postgres work is short, so a few per core is enough. */
  poolSize?: number;
  /** The embedded Postgres's supervisor, when the server runs one. */
  process?: DatabaseProcess;
}

/** The Prisma client on the pg driver adapter (no native query engine). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  /**
   * The pg pool under the adapter, for the few hot-path statements that take one large text
   * parameter and return plain rows: Prisma's raw-query path costs ~3 ms more CPU than pg for
   * a 500 KB parameter (docs/decisions.md). Everything else goes through Prisma.
   */
  readonly pool: Pool;

  constructor(options: DatabaseOptions) {
    const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 20 });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    // An idle connection breaks when Postgres restarts; the pool drops it and the next query opens
    // a new one. Without a listener the pool's 'error' event would end the process.
    pool.on('error', () => undefined);
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
