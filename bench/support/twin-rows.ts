import { Client } from 'pg';
import { type BenchServer, databaseUrl } from './bench-server';

/** Latency samples (ms), one per device write; see TwinRows.newWriteLatencies. */
export interface WriteLatencies {
  total: number[];
  toMerge: number[];
  toRow: number[];
}

/**
 * Reads the bench server's `device_twins` rows directly, to time publish → row: every
 * report carries its send time (`sentAt`) and every batched write stamps the row with
 * `clock_timestamp()`.
 */
export class TwinRows {
  private lastWrittenMs = 0;

  private constructor(private readonly client: Client) {}

  /** A bench server's database, or the one at `url` (a cluster's). */
  static async open(server: BenchServer | string): Promise<TwinRows> {
    const client = new Client({ connectionString: typeof server === 'string' ? server : databaseUrl(server) });
    await client.connect();
    return new TwinRows(client);
  }

  /** Reports merged into persisted rows so far (each applied report bumps its device's reported_version by one). */
  async persistedReports(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>('SELECT coalesce(sum(reported_version), 0)::float8 AS n FROM device_twins');
    return rows[0].n;
  }

  /**
   * Latencies (ms) of the rows written since the previous call, one sample per device write:
   * publish → row, and its two parts, publish → merged by the server (the change time the
   * server recorded for `sentAt` in `reported_meta`) and merged → row.
   */
  async newWriteLatencies(): Promise<WriteLatencies> {
    const { rows } = await this.client.query<{ written: number; sent: number; merged: number }>(
      `SELECT extract(epoch FROM updated_at)::float8 * 1000 AS written, (reported->>'sentAt')::float8 AS sent,
         extract(epoch FROM (reported_meta->>'sentAt')::timestamptz)::float8 * 1000 AS merged
       FROM device_twins WHERE updated_at > to_timestamp($1::float8 / 1000) AND reported ? 'sentAt'`,
      [this.lastWrittenMs],
    );
    for (const row of rows) if (row.written > this.lastWrittenMs) this.lastWrittenMs = row.written;
    return {
      total: rows.map((row) => row.written - row.sent),
      toMerge: rows.map((row) => row.merged - row.sent),
      toRow: rows.map((row) => row.written - row.merged),
    };
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
