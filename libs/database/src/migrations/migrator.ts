import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SchemaFilter } from '@prisma/schema-engine-wasm';
import { Client } from 'pg';
import { migrationFolderName, migrationLockContent, type NewMigration, readMigrationList, writeMigration } from './migration-directory';
import { type EngineLogger, type SchemaFile, withSchemaEngine } from './schema-engine';

export interface MigrationOptions {
  /** Defaults to `<repo>/prisma/migrations`. */
  migrationsDir?: string;
  /** Defaults to `<repo>/prisma/schema.prisma`. */
  schemaPath?: string;
  /** Schema text to use instead of reading `schemaPath` (which then only names it). */
  schemaSource?: string;
  /** Receives the engine's log lines; silent by default. */
  log?: EngineLogger;
}

export type CreateMigrationResult = { created: true; migration: NewMigration } | { created: false; reason: 'no changes' };

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
const PROVIDER = 'postgresql';

/**
 * Serialises concurrent deploys (e.g. two server processes booting at once). Not the
 * key the engine itself takes (72707369), which would deadlock against our own session.
 */
const APPLY_LOCK_KEY = 0x45_46_4d_47; // "EFMG"

/** Applies the pending migrations; returns the names applied (empty when up to date). */
export async function applyMigrations(databaseUrl: string, options: MigrationOptions = {}): Promise<string[]> {
  const migrationsDir = migrationsDirOf(options);
  // Otherwise a deployment missing the folder would "apply" nothing and start on an empty schema.
  if (!existsSync(migrationsDir)) throw new Error(`migrations folder ${migrationsDir} does not exist`);
  const migrationsList = await readMigrationList(migrationsDir);
  const schema = await schemaFileOf(options);
  return withAdvisoryLock(databaseUrl, APPLY_LOCK_KEY, () =>
    withSchemaEngine({ databaseUrl, schema, log: options.log }, async (engine) => {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
      return appliedMigrationNames;
    }),
  );
}

/**
 * Writes a migration taking the migrations folder to the schema, named like Prisma's
 * (`<UTC timestamp>_<name>`). `databaseUrl` is only used to create a throwaway shadow
 * database; its own schema is neither read nor changed.
 */
export async function createMigration(databaseUrl: string, name: string, options: MigrationOptions = {}): Promise<CreateMigrationResult> {
  const folderName = migrationFolderName(name);
  const script = await schemaDrift(databaseUrl, options);
  if (script === null) return { created: false, reason: 'no changes' };
  const migration = await writeMigration(migrationsDirOf(options), folderName, script, PROVIDER);
  return { created: true, migration };
}

/**
 * The SQL that would take the migrations to the schema, or null when they agree.
 * Replays the migrations on a shadow database created through `databaseUrl`.
 */
export async function schemaDrift(databaseUrl: string, options: MigrationOptions = {}): Promise<string | null> {
  const migrationsList = await readMigrationList(migrationsDirOf(options));
  // The engine reads the provider from the lock file, which a first migration has yet to write.
  migrationsList.lockfile.content ??= migrationLockContent(PROVIDER);
  const schema = await schemaFileOf(options);
  const result = await withSchemaEngine({ databaseUrl, schema, log: options.log }, (engine) =>
    engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    }),
  );
  // With `exitCode: true` the engine reports 2 for a non-empty diff.
  return result.exitCode === 0 ? null : (result.stdout ?? '');
}

export function defaultMigrationsDir(): string {
  return join(repoRoot(), 'prisma', 'migrations');
}

export function defaultSchemaPath(): string {
  return join(repoRoot(), 'prisma', 'schema.prisma');
}

function migrationsDirOf(options: MigrationOptions): string {
  return resolve(options.migrationsDir ?? defaultMigrationsDir());
}

async function schemaFileOf(options: MigrationOptions): Promise<SchemaFile> {
  const path = resolve(options.schemaPath ?? defaultSchemaPath());
  const content = options.schemaSource ?? (await readFile(path, 'utf8'));
  return { path, content };
}

let cachedRoot: string | undefined;

/** Works from both `libs/…` (Jest) and `dist/libs/…` (the build). */
function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'edgefleet') {
      cachedRoot = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the edgefleet repository root above ${__dirname}`);
  }
}

async function withAdvisoryLock<T>(databaseUrl: string, key: number, use: () => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    return await use();
  } finally {
    // Closing the session releases the lock even if the unlock query fails.
    await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await client.end();
  }
}
