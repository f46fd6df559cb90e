import { readFileSync, readdirSync } from 'node:fs';

/** CPU time (user + system, ms) of a process and of its descendants (those that exited too, once reaped), read from /proc (Linux only). */
export interface TreeCpu {
  rootMs: number;
  descendantsMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpuMs: number;
  /** CPU of its children that exited and were reaped (cutime + cstime): Postgres backends that ended, for one. */
  reapedMs: number;
}

function readStat(pid: string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS, reapedMs: (Number(fields[13]) + Number(fields[14])) * TICK_MS };
  } catch {
    return null; // exited meanwhile
  }
}

/** Null where /proc is not available. */
export function treeCpu(rootPid: number): TreeCpu | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const stats = pids.map(readStat).filter((stat): stat is ProcStat => stat !== null);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const root = stats.find((stat) => stat.pid === rootPid);
  if (!root) return null;
  let descendantsMs = root.reapedMs;
  const queue = [...(children.get(rootPid) ?? [])];
  for (let next = queue.pop(); next; next = queue.pop()) {
    descendantsMs += next.cpuMs + next.reapedMs;
    queue.push(...(children.get(next.pid) ?? []));
  }
  return { rootMs: root.cpuMs, descendantsMs };
}

/** CPU (ms) of these processes and their descendants together, now; NaN if one is gone. */
export function treesCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => {
    const tree = treeCpu(pid);
    return sum + (tree ? tree.rootMs + tree.descendantsMs : NaN);
  }, 0);
}

/** CPU used by the server, its embedded Postgres and this (client) process between two calls. */
export function cpuMeter(serverPid: number): () => { serverMs: number; postgresMs: number; clientMs: number } {
  const server0 = treeCpu(serverPid);
  const client0 = process.cpuUsage();
  return () => {
    const server1 = treeCpu(serverPid);
    const client = process.cpuUsage(client0);
    return {
      serverMs: server0 && server1 ? server1.rootMs - server0.rootMs : NaN,
      postgresMs: server0 && server1 ? server1.descendantsMs - server0.descendantsMs : NaN,
      clientMs: (client.user + client.system) / 1000,
    };
  };
}
