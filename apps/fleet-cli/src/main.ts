import { relative } from 'node:path';
import { ConfigError, loadConfig } from '@edgefleet/config';
// Deep imports keep the CLI from loading the whole server (Nest, MQTT) just to migrate.
import { provisionDatabase } from '../../../libs/server/src/database-provisioner';
import {
  applyMigrations,
  createMigration,
  type EngineLogger,
  explainSchemaEngineError,
  schemaDrift,
} from '../../../libs/database/src/migrations';

const USAGE = `usage: fleet-cli [--verbose] <command>
  migrate            apply pending migrations from prisma/migrations
  migration <name>   write a new migration from the changes in prisma/schema.prisma
  drift              exit 1 and print the SQL if schema.prisma and the migrations differ

Database: DATABASE_URL, or the embedded Postgres in $FLEET_DATA_DIR/postgres (default ./.data).`;

class UsageError extends Error {}

type Command = (databaseUrl: string, log: EngineLogger | undefined) => Promise<number>;

function parse(args: string[]): { command: Command; verbose: boolean } {
  const verbose = args.includes('--verbose') || args.includes('-v');
  const [name, ...rest] = args.filter((arg) => arg !== '--verbose' && arg !== '-v');
  switch (name) {
    case 'migrate':
      if (rest.length > 0) throw new UsageError(`'migrate' takes no arguments`);
      return { command: migrate, verbose };
    case 'migration':
      if (rest.length !== 1) throw new UsageError(`'migration' takes exactly one name`);
      return { command: (url, log) => migration(url, rest[0], log), verbose };
    case 'drift':
      if (rest.length > 0) throw new UsageError(`'drift' takes no arguments`);
      return { command: drift, verbose };
    default:
      throw new UsageError(name === undefined ? 'missing command' : `unknown command '${name}'`);
  }
}

async function migrate(databaseUrl: string, log: EngineLogger | undefined): Promise<number> {
  const applied = await applyMigrations(databaseUrl, { log });
  if (applied.length === 0) console.log('database is up to date');
  for (const name of applied) console.log(`applied ${name}`);
  return 0;
}

async function migration(databaseUrl: string, name: string, log: EngineLogger | undefined): Promise<number> {
  const result = await createMigration(databaseUrl, name, { log });
  if (!result.created) console.log('no changes: prisma/schema.prisma matches the migrations');
  else console.log(`created ${relative(process.cwd(), result.migration.directory)}/migration.sql`);
  return 0;
}

async function drift(databaseUrl: string, log: EngineLogger | undefined): Promise<number> {
  const sql = await schemaDrift(databaseUrl, { log });
  if (sql === null) {
    console.log('no drift: prisma/schema.prisma matches the migrations');
    return 0;
  }
  console.error('drift: prisma/schema.prisma differs from the migrations; this SQL would reconcile them:');
  console.log(sql);
  return 1;
}

async function main(): Promise<number> {
  const { command, verbose } = parse(process.argv.slice(2));
  const log = verbose ? (line: string) => console.error(line) : undefined;
  const database = await provisionDatabase(loadConfig(), log ?? (() => undefined));
  try {
    return await command(database.url, log);
  } finally {
    await database.stop();
  }
}

function fail(error: unknown): never {
  const explained = explainSchemaEngineError(error);
  if (explained instanceof UsageError) {
    console.error(`fleet-cli: ${explained.message}\n${USAGE}`);
    process.exit(2);
  }
  const prefix = explained instanceof ConfigError ? 'bad setting ' : '';
  const message = explained instanceof Error ? explained.message : String(explained);
  console.error(`fleet-cli: ${prefix}${oneLine(message)}`);
  process.exit(1);
}

/** Engine errors end in a Rust span trace ("   0: schema_engine_wasm::…"), noise for a user. */
function oneLine(message: string): string {
  const lines = message.split('\n');
  const traceStart = lines.findIndex((line) => /^\s+\d+: /.test(line));
  return (traceStart === -1 ? lines : lines.slice(0, traceStart))
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

// Engine panics can surface from a microtask, outside main()'s promise chain.
process.on('uncaughtException', fail);
main().then((code) => process.exit(code), fail);
