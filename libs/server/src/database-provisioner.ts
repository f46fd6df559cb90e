import { join } from 'node:path';
import { Client } from 'pg';
import { ConfigError, type FleetConfig } from '@edgefleet/config';
import { type DatabaseProcess, EmbeddedPostgresError, EmbeddedPostgresServer } from '@edgefleet/database';

export interface ProvisionedDatabase {
  url: string;
  embedded: boolean;
  /** The embedded Postgres's supervisor; absent with DATABASE_URL. */
  process?: DatabaseProcess;
  stop(): Promise<void>;
}

export interface EmbeddedSupervision {
  /** One line per supervisor event (orphan stopped, unexpected exit, restart). */
  onEvent(line: string): void;
  /** The embedded Postgres died and could not be restarted. */
  onFatal(error: EmbeddedPostgresError): void;
}

const EMBEDDED_DATABASE = 'edgefleet';

/** DATABASE_URL when set; otherwise an embedded Postgres in $FLEET_DATA_DIR/postgres (CONTRACT §1). */
export async function provisionDatabase(config: FleetConfig, log: (line: string) => void, supervision?: EmbeddedSupervision): Promise<ProvisionedDatabase> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => undefined };
  const server = new EmbeddedPostgresServer({
    dataDir: join(config.dataDir, 'postgres'),
    onLog: (line) => log(line),
    onEvent: supervision?.onEvent,
    onFatal: supervision?.onFatal,
  });
  try {
    await server.start();
  } catch (error) {
    if (error instanceof EmbeddedPostgresError && error.setting) throw new ConfigError(error.setting, error.message);
    throw error;
  }
  try {
    await ensureDatabase(server.url, EMBEDDED_DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.urlFor(EMBEDDED_DATABASE), embedded: true, process: server, stop: () => server.stop() };
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
