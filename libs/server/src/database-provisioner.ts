import { join } from 'node:path';
import { Client } from 'pg';
import type { FleetConfig } from '@edgefleet/config';
import { EmbeddedPostgresServer } from '@edgefleet/database';

export interface ProvisionedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'edgefleet';

/** DATABASE_URL when set; otherwise an embedded Postgres in $FLEET_DATA_DIR/postgres (CONTRACT §1). */
export async function provisionDatabase(config: FleetConfig, log: (line: string) => void): Promise<ProvisionedDatabase> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => undefined };
  const server = new EmbeddedPostgresServer({ dataDir: join(config.dataDir, 'postgres'), onLog: (line) => log(line) });
  await server.start();
  try {
    await ensureDatabase(server.url, EMBEDDED_DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.urlFor(EMBEDDED_DATABASE), embedded: true, stop: () => server.stop() };
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
