import { readFileSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { probeProcess, waitForExit } from './process-probe';

/** A fast shutdown (SIGINT) rolls back open transactions and checkpoints; this bounds the wait for it. */
const ORPHAN_STOP_TIMEOUT_MS = 60_000;

export type PostmasterPidState = { kind: 'none' } | { kind: 'stale' } | { kind: 'running'; pid: number };

/**
 * Reads `postmaster.pid` (line 1: the postmaster's pid, line 2: its data folder) and says whether
 * a postmaster of this very cluster runs: the pid must name a live `postgres` process started
 * with `-D` this folder. A pid file left by a crash whose pid now names something else is stale.
 */
export function readPostmasterPid(dataDir: string): PostmasterPidState {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return { kind: 'none' };
  }
  const pid = Number(lines[0]);
  const info = probeProcess(pid);
  if (!info) return { kind: 'stale' };
  const dir = resolve(dataDir);
  if (resolve(lines[1] ?? '') !== dir) return { kind: 'stale' };
  // Without /proc the pid alone has to do; with it, the process must be a postgres run on this folder.
  const ours = info.argv.length === 0 || (basename(info.argv[0]).startsWith('postgres') && info.argv.includes(dir));
  return ours ? { kind: 'running', pid } : { kind: 'stale' };
}

/**
 * Before this process starts the cluster (holding its lock, so no live EdgeFleet owns it): a
 * postmaster still running on it was left by an owner killed with SIGKILL. It is asked for a fast
 * shutdown and waited for, never killed: SIGKILL of a postmaster leaves its shared memory attached
 * to the backends, and the next start would fail on it. A stale pid file is removed, since a
 * recycled pid in it would stop Postgres from starting.
 */
export async function clearOrphanPostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const state = readPostmasterPid(dataDir);
  if (state.kind === 'none') return;
  if (state.kind === 'stale') {
    unlinkSync(join(dataDir, 'postmaster.pid'));
    return;
  }
  log(`stopping the embedded Postgres (pid ${state.pid}) left running by an EdgeFleet process that is gone`);
  process.kill(state.pid, 'SIGINT');
  if (!(await waitForExit(state.pid, ORPHAN_STOP_TIMEOUT_MS))) {
    throw new Error(
      `the embedded Postgres left running on ${dataDir} (pid ${state.pid}) did not stop within ${ORPHAN_STOP_TIMEOUT_MS / 1000} s of a fast-shutdown request; stop it, then start again`,
    );
  }
}
