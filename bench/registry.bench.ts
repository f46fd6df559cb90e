import autocannon from 'autocannon';
import { startBenchServer } from './support/bench-server';
import { cpuMeter } from './support/process-cpu';

// CONTRACT §2 batch registration, then the device list under concurrent load.
// Targets (issue #2, 2-core machine): >= 20,000 devices/s registered; list p99 < 25 ms
// at 100,000 devices with 20 concurrent clients.
const TOTAL = Number(process.env.BENCH_DEVICES ?? 100_000);
const BATCH = 10_000;
const UPLOADERS = Number(process.env.BENCH_UPLOADERS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
// Unmeasured list load first: the server refreshes planner statistics 0.5 s after a bulk
// import (DeviceStatistics), and until then Postgres plans pages without knowing the new rows.
const WARMUP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TYPES = ['cam', 'gw', 'sensor', 'meter'];
const SITES = ['syd', 'mel', 'bne', 'per', 'adl', 'hob', 'drw', 'cbr'];

async function main(): Promise<void> {
  const server = await startBenchServer();
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  try {
    const bodies: string[] = [];
    for (let offset = 0; offset < TOTAL; offset += BATCH) {
      const devices = Array.from({ length: Math.min(BATCH, TOTAL - offset) }, (_, i) => {
        const n = offset + i;
        return { id: `dev-${String(n).padStart(7, '0')}`, type: TYPES[n % TYPES.length], tags: { site: SITES[n % SITES.length], rack: String(n % 50) } };
      });
      bodies.push(JSON.stringify({ devices }));
    }
    const started = performance.now();
    const registerCpu = cpuMeter(server.pid);
    const upload = async (): Promise<void> => {
      for (let body = bodies.shift(); body; body = bodies.shift()) {
        const res = await fetch(`${server.http}/api/v1/devices/batch`, { method: 'POST', headers, body });
        if (res.status !== 201) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: UPLOADERS }, upload));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `registered ${TOTAL} devices in ${seconds.toFixed(2)} s with ${UPLOADERS} concurrent batch uploads of ${BATCH}: ` +
        `${Math.round(TOTAL / seconds)} devices/s (target >= 20000)`,
    );
    console.log(`  CPU per 1,000 devices: ${cpuPer(registerCpu(), TOTAL / 1000)}`);

    const queries = [
      '/api/v1/devices?type=cam&limit=100',
      '/api/v1/devices?tag=site:syd&limit=100',
      '/api/v1/devices?type=gw&tag=site:mel&status=offline&limit=100',
      '/api/v1/devices?status=offline&limit=50',
      '/api/v1/devices?limit=100',
    ];
    const listLoad = async (seconds: number) => {
      const result = await autocannon({
        url: server.http,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { authorization: headers.authorization },
        requests: queries.map((path) => ({ method: 'GET', path })),
      });
      if (result.non2xx > 0) throw new Error(`${result.non2xx} list requests failed`);
      return result;
    };
    if (WARMUP_S > 0) {
      const warmup = await listLoad(WARMUP_S);
      console.log(`  warm-up, ${WARMUP_S} s right after the import (not measured): p50 ${warmup.latency.p50} ms, p99 ${warmup.latency.p99} ms`);
    }
    const listCpu = cpuMeter(server.pid);
    const result = await listLoad(DURATION_S);
    console.log(
      `device list, ${CONNECTIONS} clients, ${TOTAL} devices: ${Math.round(result.requests.average)} req/s, ` +
        `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (target p99 < 25 ms)`,
    );
    console.log(`  CPU per request: ${cpuPer(listCpu(), result.requests.total)}`);
  } finally {
    await server.stop();
  }
}

function cpuPer(used: { serverMs: number; postgresMs: number; clientMs: number }, units: number): string {
  const per = (ms: number) => (ms / units).toFixed(2);
  return `server ${per(used.serverMs)} ms, postgres ${per(used.postgresMs)} ms, bench client ${per(used.clientMs)} ms`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
