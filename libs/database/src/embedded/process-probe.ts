import { readFileSync } from 'node:fs';

/**
 * What /proc says about a process: whether it runs (a zombie does not), when it started (so a
 * recycled pid is not mistaken for the process that wrote a pid file), and its command line.
 */
export interface ProcessInfo {
  /** Clock ticks after boot, field 22 of /proc/{pid}/stat; undefined without /proc. */
  startTime?: string;
  argv: string[];
}

export function probeProcess(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { argv: [] };
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  let argv: string[] = [];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // gone between the two reads, or hidden; the start time alone still identifies it
  }
  return { startTime: fields[19], argv };
}

/** Resolves once the process has exited (or became a zombie), false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (probeProcess(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
