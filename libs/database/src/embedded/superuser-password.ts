import { randomBytes } from 'node:crypto';
import { chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { PostgresAccount } from './postgres-binaries';

/** The fixed password of clusters made before each got its own; such a cluster is moved to a new one at start. */
export const LEGACY_SUPERUSER_PASSWORD = 'edgefleet';

/**
 * The cluster's superuser password, random per cluster, in a 0600 file beside it (`initdb
 * --pwfile` reads it, so as root the file belongs to the `postgres` account; root reads it anyway).
 * Written to a temporary name and renamed, so a crash never leaves a torn password.
 */
export function readOrCreatePassword(file: string, account: PostgresAccount | undefined): { password: string; created: boolean } {
  try {
    const password = readFileSync(file, 'utf8').trim();
    if (password) return { password, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(24).toString('base64url');
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${password}\n`, { mode: 0o600, flag: 'wx' });
  if (account) chownSync(temporary, account.uid, account.gid);
  renameSync(temporary, file);
  return { password, created: true };
}
