import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlQueryable,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

export type { SchemaEngine };
export type EngineLogger = (message: string) => void;

export interface SchemaFile {
  /** Shown in the engine's error messages. */
  path: string;
  content: string;
}

export interface SchemaEngineOptions {
  databaseUrl: string;
  schema: SchemaFile;
  log?: EngineLogger;
}

const WASM_FILE = 'schema_engine_bg.wasm';

/** The slice of the WebAssembly global used here; the project's `lib` (no DOM) does not declare it. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
  RuntimeError: new () => Error;
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

let instantiated = false;
let lastPanic: string | undefined;

/**
 * The package's entry point imports the .wasm file as an ES module, which Node cannot do;
 * so instantiate it by hand against the glue, once per module registry (Jest gives each
 * test file its own, with its own copy of the glue).
 */
function loadEngine(): typeof SchemaEngine {
  if (!instantiated) {
    // The engine reports the reason for a panic here just before trapping with "unreachable".
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message: string) => (lastPanic = message),
    };
    const wasmPath = join(dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), WASM_FILE);
    const module = new wasmApi.Module(readFileSync(wasmPath));
    const instance = new wasmApi.Instance(module, { './schema_engine_bg.js': importsFor(glue) });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    instantiated = true;
  }
  return glue.SchemaEngine;
}

/**
 * The engine races its advisory lock against a 10 s timer that it never clears, which would
 * keep the process (or a Jest worker) alive for 10 s after the last migration. Unreferenced
 * timers are safe here: an engine call always has a database socket open while it runs.
 */
function importsFor(exports: object): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...exports };
  for (const name of Object.keys(imports)) {
    if (name.startsWith('__wbg_setTimeout_')) imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms).unref();
  }
  return imports;
}

export function schemaEngineVersion(): string {
  loadEngine();
  return glue.version();
}

/**
 * Runs `use` with an engine bound to the database, then frees the engine and closes
 * every connection it opened (including dropping any shadow database).
 */
export async function withSchemaEngine<T>(options: SchemaEngineOptions, use: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const factory = new PostgresAdapterFactory(options.databaseUrl);
  const log = options.log ?? (() => undefined);
  try {
    const engine = await loadEngine().new(
      { datamodels: [[options.schema.path, options.schema.content]] },
      (message: string) => log(message),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw explainSchemaEngineError(error);
  } finally {
    await factory.closeAll();
  }
}

/**
 * A panic surfaces as a bare "unreachable" trap, sometimes as an uncaught exception from a
 * microtask; this attaches the reason the engine recorded. After a panic the wasm instance
 * is unusable, so the process should not go on migrating.
 */
export function explainSchemaEngineError(error: unknown): unknown {
  if (!(error instanceof wasmApi.RuntimeError) || lastPanic === undefined) return error;
  const message = `schema engine panicked (restart the process before using it again): ${lastPanic}`;
  lastPanic = undefined;
  return new Error(message, { cause: error });
}

/**
 * PrismaPg's own `connectToShadowDb` cannot be used: with a connection string, pg lets
 * the string's database win over the `database` it sets, so the "shadow" pool would
 * point at the main database; and it drops the shadow database before closing its pool.
 */
class PostgresAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@edgefleet/schema-engine-pg';
  private readonly open = new Set<SqlDriverAdapter>();

  constructor(private readonly databaseUrl: string) {}

  async connect(): Promise<SqlDriverAdapter> {
    return this.track(await connectAdapter(this.databaseUrl));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const name = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
    await this.adminQuery(`CREATE DATABASE "${name}"`);
    const url = new URL(this.databaseUrl);
    url.pathname = `/${name}`;
    const adapter = await connectAdapter(url.toString()).catch(async (error: unknown) => {
      await this.adminQuery(`DROP DATABASE IF EXISTS "${name}"`);
      throw error;
    });
    return this.track(adapter, () => this.adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }

  async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const adapter of [...this.open]) await adapter.dispose().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  }

  /** Wraps `dispose` so it runs once, whether the engine or `closeAll` calls it first. */
  private track(adapter: SqlDriverAdapter, afterDispose?: () => Promise<void>): SqlDriverAdapter {
    let disposed: Promise<void> | undefined;
    const dispose = adapter.dispose.bind(adapter);
    const tracked: SqlDriverAdapter = Object.assign(Object.create(adapter) as SqlDriverAdapter, {
      dispose: (): Promise<void> => {
        disposed ??= (async () => {
          this.open.delete(tracked);
          await dispose();
          await afterDispose?.();
        })();
        return disposed;
      },
    });
    this.open.add(tracked);
    return tracked;
  }

  private async adminQuery(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

async function connectAdapter(connectionString: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool({ connectionString });
  pool.on('connect', markCatalogCharColumns);
  return withCatalogCharColumns(await new PrismaPg(pool, { disposeExternalPool: true }).connect());
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** Column indexes of `"char"` columns, keyed by the pg result's `rows` (which adapter-pg passes through). */
const charColumnsByRows = new WeakMap<unknown[], number[]>();

type QueryCallback = (error: Error | null, result: unknown) => void;

/**
 * The engine's schema describer reads catalog columns of Postgres' one-byte `"char"` type
 * (e.g. `pg_constraint.contype`) and wants them as characters, but adapter-pg 7.10 rejects
 * that type. pg returns the values as strings; so let adapter-pg see text, note which
 * columns they were, and report those as `Character` in `withCatalogCharColumns`.
 */
function markCatalogCharColumns(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as QueryCallback;
      return query(...args.slice(0, -1), (error: Error | null, result: unknown) => callback(error, retypeCharFields(result)));
    }
    const result = query(...args);
    return isPromiseLike(result) ? result.then(retypeCharFields) : result;
  };
  Object.assign(client, { query: patched });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function retypeCharFields(result: unknown): unknown {
  for (const single of Array.isArray(result) ? result : [result]) {
    const { fields, rows } = (single ?? {}) as Partial<pg.QueryResult<unknown[]>>;
    const indexes: number[] = [];
    fields?.forEach((field, index) => {
      if (field.dataTypeID !== PG_CHAR_OID) return;
      field.dataTypeID = PG_TEXT_OID;
      indexes.push(index);
    });
    if (rows && indexes.length > 0) charColumnsByRows.set(rows, indexes);
  }
  return result;
}

function withCatalogCharColumns<T extends SqlQueryable>(queryable: T): T {
  const overrides: Partial<SqlDriverAdapter> = {
    queryRaw: async (query: SqlQuery): Promise<SqlResultSet> => {
      const resultSet = await queryable.queryRaw(query);
      for (const index of charColumnsByRows.get(resultSet.rows) ?? []) resultSet.columnTypes[index] = ColumnTypeEnum.Character;
      return resultSet;
    },
  };
  if ('startTransaction' in queryable) {
    const adapter = queryable as unknown as SqlDriverAdapter;
    overrides.startTransaction = async (isolationLevel?: IsolationLevel): Promise<Transaction> =>
      withCatalogCharColumns(await adapter.startTransaction(isolationLevel));
  }
  return Object.assign(Object.create(queryable) as T, overrides);
}
