import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Reads a secret kept in the data dir, creating it (mode 0600) on first use. The new file is
 * written aside and hard-linked into place, so a reader never sees it half-written and two
 * processes starting together end up with the same secret.
 */
export async function readOrCreateSecretFile(path: string, create: () => string | Buffer): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const aside = join(dirname(path), `.${randomUUID()}.new`);
  await writeFile(aside, create(), { mode: 0o600, flag: 'wx' });
  try {
    await link(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(aside, { force: true });
  }
  return readFile(path);
}
