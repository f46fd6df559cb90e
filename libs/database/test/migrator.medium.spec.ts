import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer } from '../src/embedded/embedded-postgres-server';
import { applyMigrations, createMigration, defaultMigrationsDir, defaultSchemaPath, readMigrationList, schemaDrift } from '../src/migrations';

const TIMEOUT = 60_000;

describe('migrator (schema-engine-wasm against a real Postgres)', () => {
  let dir: string;
  let server: EmbeddedPostgresServer;
  let committed: string[];
  let databaseCount = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgefleet-migrator-'));
    chmodSync(dir, 0o755); // as root, Postgres runs as the 'postgres' user, which must reach its data folder
    server = new EmbeddedPostgresServer({ dataDir: join(dir, 'postgres'), ephemeral: true });
    await server.start();
    committed = (await readMigrationList(defaultMigrationsDir())).migrationDirectories.map((m) => m.path);
  }, TIMEOUT);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUT);

  async function query<T extends object>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  async function emptyDatabase(): Promise<string> {
    const name = `migrator_${++databaseCount}`;
    await query(server.url, `CREATE DATABASE ${name}`);
    return server.urlFor(name);
  }

  it('has at least the initial migration committed', () => {
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[0]).toMatch(/^\d{14}_init$/);
    expect(readFileSync(join(defaultMigrationsDir(), 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
  });

  it('applies every migration to an empty database, once', async () => {
    const url = await emptyDatabase();

    expect(await applyMigrations(url)).toEqual(committed);

    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'api_keys', 'devices', 'groups', 'group_members', 'audit_log']),
    );
    const rows = await query<{ migration_name: string; finished: boolean }>(
      url,
      `SELECT migration_name, finished_at IS NOT NULL AND rolled_back_at IS NULL AS finished
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(committed.map((migration_name) => ({ migration_name, finished: true })));

    expect(await applyMigrations(url)).toEqual([]);
  }, TIMEOUT);

  it('lets concurrent deploys apply each migration exactly once', async () => {
    const url = await emptyDatabase();

    const results = await Promise.all([applyMigrations(url), applyMigrations(url)]);

    expect(results.flat().sort()).toEqual(committed);
    const [{ count }] = await query<{ count: string }>(url, 'SELECT count(*) FROM _prisma_migrations');
    expect(Number(count)).toBe(committed.length);
  }, TIMEOUT);

  // THE drift test: fails when prisma/schema.prisma is changed without `npm run db:migration`.
  it('finds no drift between schema.prisma and the committed migrations', async () => {
    const drift = await schemaDrift(server.url);
    if (drift !== null) throw new Error(`schema.prisma and prisma/migrations differ; run \`npm run db:migration -- <name>\`:\n${drift}`);
  }, TIMEOUT);

  it('reports drift for a schema with an extra model', async () => {
    const schemaSource = `${readFileSync(defaultSchemaPath(), 'utf8')}\nmodel DriftProbe {\n  id Int @id\n\n  @@map("drift_probe")\n}\n`;

    const drift = await schemaDrift(server.url, { schemaSource });

    expect(drift).toContain('CREATE TABLE "drift_probe"');
  }, TIMEOUT);

  it('writes a new migration in Prisma layout, and none when nothing changed', async () => {
    const migrationsDir = join(dir, 'migrations');
    const schemaSource = `${readFileSync(defaultSchemaPath(), 'utf8')}\nmodel DriftProbe {\n  id Int @id\n}\n`;

    const first = await createMigration(server.url, 'init', { migrationsDir, schemaSource });

    if (!first.created) throw new Error('expected a migration');
    expect(first.migration.name).toMatch(/^\d{14}_init$/);
    expect(readFileSync(join(first.migration.directory, 'migration.sql'), 'utf8')).toContain('CREATE TABLE "DriftProbe"');
    expect(existsSync(join(migrationsDir, 'migration_lock.toml'))).toBe(true);
    expect(await createMigration(server.url, 'again', { migrationsDir, schemaSource })).toEqual({ created: false, reason: 'no changes' });
  }, TIMEOUT);

  it('leaves no shadow databases behind', async () => {
    const shadows = await query(server.url, `SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`);
    expect(shadows).toEqual([]);
  });
});
