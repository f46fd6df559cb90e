import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { type BenchServer, databaseUrl } from './bench-server';

/** Cumulative counters of the server's database (pg_stat_database). */
export interface DatabaseCounters {
  transactions: number;
  rowsWritten: number;
  /** Rows inserted, updated or deleted, by table (pg_stat_user_tables). */
  byTable: Record<string, number>;
}

/**
 * Since Postgres 15 a backend publishes its statistics at most once a second, and an idle one
 * only after 10 s (PGSTAT_IDLE_INTERVAL): counters read right after a burst are short of it.
 */
export const STATS_FLUSH_MS = 11_000;

/** A direct connection to the bench server's database, for its activity counters and timing rows. */
export class PostgresStats {
  private constructor(private readonly client: Client) {}

  static async open(server: BenchServer): Promise<PostgresStats> {
    const client = new Client({ connectionString: databaseUrl(server) });
    // The server stops its Postgres when it exits; that must not crash the bench.
    client.on('error', () => undefined);
    await client.connect();
    return new PostgresStats(client);
  }

  async counters(): Promise<DatabaseCounters> {
    const { rows } = await this.client.query<Omit<DatabaseCounters, 'byTable'>>(
      `SELECT (xact_commit + xact_rollback)::float8 AS transactions, (tup_inserted + tup_updated + tup_deleted)::float8 AS "rowsWritten"
       FROM pg_stat_database WHERE datname = current_database()`,
    );
    const tables = await this.client.query<{ name: string; written: number }>(
      `SELECT relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS written FROM pg_stat_user_tables`,
    );
    return { ...rows[0], byTable: Object.fromEntries(tables.rows.map((row) => [row.name, row.written])) };
  }

  /** Counters once every backend has published what it did up to now. */
  async settledCounters(): Promise<DatabaseCounters> {
    await sleep(STATS_FLUSH_MS);
    return this.counters();
  }

  query<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
    return this.client.query<T>(text, values).then((result) => result.rows);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export function counterDelta(before: DatabaseCounters, after: DatabaseCounters): DatabaseCounters {
  const byTable: Record<string, number> = {};
  for (const [name, written] of Object.entries(after.byTable)) {
    const delta = written - (before.byTable[name] ?? 0);
    if (delta > 0) byTable[name] = delta;
  }
  return { transactions: after.transactions - before.transactions, rowsWritten: after.rowsWritten - before.rowsWritten, byTable };
}
