import { spawn } from 'node:child_process';
import { chownSync } from 'node:fs';
import { makeDirectory } from '@edgefleet/common';
import type { PostgresAccount } from './postgres-binaries';
import { POSTGRES_ENV } from './postmaster-process';

/**
 * `initdb` of a new cluster whose superuser password is read from `passwordFile` (0600, beside
 * the cluster: never a copy in /tmp). On failure, initdb removes what it made; the error carries
 * its own last lines.
 */
export async function initialiseCluster(initdb: string, dataDir: string, passwordFile: string, user: string, account?: PostgresAccount): Promise<void> {
  makeDirectory(dataDir, 0o700);
  if (account) chownSync(dataDir, account.uid, account.gid);
  const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--lc-messages=C'];
  const output: string[] = [];
  const how = await new Promise<string | undefined>((resolve) => {
    const child = spawn(initdb, args, { stdio: ['ignore', 'pipe', 'pipe'], env: POSTGRES_ENV, ...(account ? { uid: account.uid, gid: account.gid } : {}) });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => resolve(code === 0 ? undefined : signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  if (how === undefined) return;
  const said = output.join('').split('\n').map((line) => line.trim()).filter((line) => /^initdb: (error|detail|hint)/.test(line));
  throw new Error(`initdb of ${dataDir} failed (${how})${said.length ? `: ${said.join(' ')}` : ''}`);
}
