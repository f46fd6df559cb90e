import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedPostgresServer, applyMigrations } from '@edgefleet/database';
import { ensureDatabase } from '@edgefleet/server';
import { scratchDir } from './scratch-dir';

export const TEMPLATE_DATABASE = 'edgefleet_template';
export const ADMIN_URL_ENV = 'EDGEFLEET_TEST_PG_ADMIN_URL';

/** One real Postgres per test run, with a migrated template that each test file copies. */
export async function startTestPostgres(): Promise<{ server: EmbeddedPostgresServer; cleanup: () => Promise<void> }> {
  const dir = scratchDir('edgefleet-test-pg-');
  const server = new EmbeddedPostgresServer({ dataDir: join(dir, 'postgres'), ephemeral: true });
  await server.start();
  await ensureDatabase(server.url, TEMPLATE_DATABASE);
  await applyMigrations(server.urlFor(TEMPLATE_DATABASE));
  return {
    server,
    cleanup: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
