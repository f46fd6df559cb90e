import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchServer {
  http: string;
  mqtt?: string;
  ws?: string;
  /** With MQTTS_PORT set. */
  mqtts?: string;
  token: string;
  pid: number;
  /** FLEET_DATA_DIR of the server (its embedded Postgres lives in `postgres/` below it). */
  dataDir: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or the OOM killer would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface BenchServerOptions {
  /** A FLEET_DATA_DIR to share (cluster nodes): kept when the server stops. Else a new one, removed at stop. */
  dataDir?: string;
}

const ADMIN_TOKEN = 'efk_bench_admin_token_0123456789abcdef';

/** The real server process on a throwaway embedded Postgres (or BENCH_DATABASE_URL), as `npm start` runs it. */
export async function startBenchServer(env: Record<string, string> = {}, options: BenchServerOptions = {}): Promise<BenchServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgefleet-bench-'));
  chmodSync(dataDir, 0o755); // the embedded Postgres runs as the `postgres` user when we are root
  const main = join(__dirname, '..', '..', 'apps', 'fleet-server', 'src', 'main.js');
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...startScriptNodeFlags(), ...nodeArgs, main], {
    env: {
      ...process.env,
      FLEET_DATA_DIR: dataDir,
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      FLEET_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stopping = false;
  const ready = await new Promise<{ http: string; mqtt?: string; ws?: string; mqtts?: string }>((resolve, reject) => {
    let partial = '';
    child.stdout!.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('EDGEFLEET_READY ')) resolve(JSON.parse(line.slice(16)));
        // Server errors (pino level 50+) would otherwise go unseen behind the figures.
        else if (!stopping && /^\{"level":[56]0,/.test(line)) process.stderr.write(`server: ${line.slice(0, 400)}\n`);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill(name);
    await exited;
  };
  return {
    ...ready,
    token: ADMIN_TOKEN,
    pid: child.pid!,
    dataDir,
    stop: async () => {
      stopping = true;
      await signal('SIGTERM');
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: async () => {
      stopping = true;
      await signal('SIGKILL');
    },
  };
}

/** The node flags `npm start` gives the server (package.json's `start` is `node <flags> <main>`). */
function startScriptNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  return packageJson.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** The server's database: BENCH_DATABASE_URL, else its embedded Postgres (password from the file beside the cluster; port from its postmaster.pid). */
export function databaseUrl(server: BenchServer): string {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  const pidFile = readFileSync(join(server.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  const password = readFileSync(join(server.dataDir, 'postgres.password'), 'utf8').trim();
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${pidFile[3].trim()}/edgefleet`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
