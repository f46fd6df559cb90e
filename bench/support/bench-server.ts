import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchServer {
  http: string;
  mqtt?: string;
  token: string;
  pid: number;
  /** FLEET_DATA_DIR of the server (its embedded Postgres lives in `postgres/` below it). */
  dataDir: string;
  stop(): Promise<void>;
}

const ADMIN_TOKEN = 'efk_bench_admin_token_0123456789abcdef';

/** The real server process on a throwaway embedded Postgres (or BENCH_DATABASE_URL), as `npm start` runs it. */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-'));
  chmodSync(dataDir, 0o755); // the embedded Postgres runs as the `postgres` user when we are root
  const main = join(__dirname, '..', '..', 'apps', 'fleet-server', 'src', 'main.js');
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, main], {
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
  const ready = await new Promise<{ http: string; mqtt?: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('EDGEFLEET_READY '));
      if (line) resolve(JSON.parse(line.slice(16)));
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    ...ready,
    token: ADMIN_TOKEN,
    pid: child.pid!,
    dataDir,
    stop: async () => {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
