import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { type BenchServer, percentile, startBenchServer } from './support/bench-server';
import { type DeviceLogin, hostAndPort, registerDevices, scrapeMetric } from './support/fleet-setup';
import { rssBytes } from './support/process-memory';
import { RawMqttDevice } from './support/raw-mqtt';

// Issue #15: one abuse at a time beside HONEST devices reporting QoS 1 once a second; prints the
// honest devices' accepted connects, PUBACK p99 and persisted rate during each, against a quiet run.
// Target: honest devices unaffected (every connect accepted, p99 within 2x of the quiet run).
const HONEST = Number(process.env.BENCH_HONEST ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SILENT = Number(process.env.BENCH_SILENT ?? 40_000);
const NUL_PER_SEC = Number(process.env.BENCH_NUL_RATE ?? 200);
const STUCK = Number(process.env.BENCH_STUCK ?? 8);
const SSE = Number(process.env.BENCH_SSE ?? 2_000);
/** BENCH_STUCK_READS=1: the same devices and traffic, but reading: what the traffic costs apart from not reading. */
const STUCK_READS = process.env.BENCH_STUCK_READS === '1';
/** Sockets per silent-socket process: below its open-files limit (20,000 here), and below the 28k local ports per source address. */
const SILENT_PER_PROCESS = 12_000;
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'quiet,silent,nul,stuck,sse').split(',');

/** Honest devices connect from 127.0.0.1, each abuse from its own loopback address: the failed-authentication throttle is per source. */
const HONEST_ADDRESS = '127.0.0.1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface HonestResult {
  accepted: number;
  connectSeconds: number;
  pubacks: number[];
  unacked: number;
  persistedPerSec: number;
  appliedPerSec: number;
  apiLatencies: number[];
  serverRssMiB: number;
}

interface Abuse {
  name: string;
  start(server: BenchServer): Promise<void>;
  /** What the abuse did and what the server did about it. */
  stop(server: BenchServer): Promise<string>;
}

async function main(): Promise<void> {
  const server = await startBenchServer({
    MQTT_MAX_CONNECTIONS: '50000',
    SSE_MAX_STREAMS: String(SSE),
    SSE_MAX_STREAMS_PER_TOKEN: String(SSE),
  });
  try {
    const limit = openFilesLimitOf(server.pid);
    const cap = await scrapeMetric(server, 'edgefleet_mqtt_open_sockets');
    console.log(`server open-files limit (ulimit -n, as this machine allows; raising it needs CAP_SYS_RESOURCE): ${limit}; MQTT_MAX_CONNECTIONS 50000 lowered to ${Math.min(50_000, limit - 512)} sessions (+64 kept to answer 0x03); open sockets now ${cap}`);
    console.log(`honest devices: ${HONEST}, each reporting QoS 1 once a second for ${SECONDS} s after connecting (from ${HONEST_ADDRESS})`);
    const honest = await registerDevices(server, HONEST, 'honest');
    const abuses: Record<string, Abuse | undefined> = { quiet: undefined, silent: silentSockets(), nul: nulStorm(), stuck: await stuckDevices(server), sse: await sseStreams(server) };
    let quiet: HonestResult | undefined;
    for (const name of SCENARIOS) {
      const abuse = abuses[name];
      if (abuse) await abuse.start(server);
      const result = await honestRun(server, honest);
      const notes = abuse ? await abuse.stop(server) : '';
      quiet ??= name === 'quiet' ? result : undefined;
      print(name, result, quiet, notes);
      await sleep(2_000);
    }
  } finally {
    await server.stop();
  }
}

function print(name: string, r: HonestResult, quiet: HonestResult | undefined, notes: string): void {
  const p99 = percentile(r.pubacks, 99);
  const ratio = quiet && name !== 'quiet' ? ` (${(p99 / percentile(quiet.pubacks, 99)).toFixed(2)}x quiet)` : '';
  console.log(
    `[${name}] connects accepted ${r.accepted}/${HONEST} in ${r.connectSeconds.toFixed(1)} s; PUBACK p50 ${percentile(r.pubacks, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms${ratio}, ` +
      `${r.unacked} unacknowledged; persisted ${r.persistedPerSec.toFixed(0)} twin rows/s (${r.appliedPerSec.toFixed(0)} reports applied/s); ` +
      `GET /devices p99 ${percentile(r.apiLatencies, 99).toFixed(1)} ms; server RSS max ${r.serverRssMiB.toFixed(0)} MiB`,
  );
  if (notes) console.log(`[${name}] ${notes}`);
}

/** Connects the honest devices (while the abuse runs), then has each report QoS 1 once a second. */
async function honestRun(server: BenchServer, logins: DeviceLogin[]): Promise<HonestResult> {
  const { host, port } = hostAndPort(server.mqtt!);
  let rssMax = rssBytes(server.pid);
  const rss = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(server.pid))), 250);
  const apiLatencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      await fetch(`${server.http}/api/v1/devices?limit=50`, { headers: { authorization: `Bearer ${server.token}` } }).then((res) => res.arrayBuffer());
      apiLatencies.push(performance.now() - started);
      await sleep(100);
    }
  })();

  const connectStarted = performance.now();
  const devices: Array<RawMqttDevice | undefined> = new Array(logins.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      for (let i = next++; i < logins.length; i = next++) {
        devices[i] = await RawMqttDevice.connect(host, port, logins[i], HONEST_ADDRESS).catch(() => undefined);
      }
    }),
  );
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const connected = devices.filter((d): d is RawMqttDevice => d !== undefined);
  const connectedIds = logins.filter((_, i) => devices[i] !== undefined).map((login) => login.id);

  const rows0 = await scrapeMetric(server, 'edgefleet_twin_reported_rows_written_total');
  const applied0 = await scrapeMetric(server, 'edgefleet_twin_reports_total{outcome="applied"}');
  const windowStarted = performance.now();
  const pubacks: number[] = [];
  const pending: Array<Promise<void>> = [];
  let seq = 0;
  // One report per device per second, spread over 100 ticks of 10 ms.
  for (let tick = 0; tick < SECONDS * 100; tick++) {
    const from = Math.floor((tick % 100) * (connected.length / 100));
    const to = Math.floor(((tick % 100) + 1) * (connected.length / 100));
    for (let i = from; i < to; i++) {
      pending.push(connected[i].publishAcked(`devices/${connectedIds[i]}/state/reported`, `{"seq":${seq++},"temp":${i % 40}}`).then((ms) => void pubacks.push(ms)));
    }
    const due = windowStarted + (tick + 1) * 10;
    await sleep(Math.max(0, due - performance.now()));
  }
  const seconds = (performance.now() - windowStarted) / 1000;
  await Promise.race([Promise.all(pending), sleep(5_000)]);
  const rows1 = await scrapeMetric(server, 'edgefleet_twin_reported_rows_written_total');
  const applied1 = await scrapeMetric(server, 'edgefleet_twin_reports_total{outcome="applied"}');
  probing = false;
  await probe;
  clearInterval(rss);
  for (const device of connected) device.close();
  await Promise.all(connected.map((d) => d.closed));
  return {
    accepted: connected.length,
    connectSeconds,
    pubacks: pubacks.sort((a, b) => a - b),
    unacked: seq - pubacks.length,
    persistedPerSec: (rows1 - rows0) / seconds,
    appliedPerSec: (applied1 - applied0) / seconds,
    apiLatencies: apiLatencies.sort((a, b) => a - b),
    serverRssMiB: rssMax / 2 ** 20,
  };
}

/** SILENT sockets that never send a byte, from several processes and loopback addresses. */
function silentSockets(): Abuse {
  let workers: ChildProcess[] = [];
  let closed0 = { evicted: 0, capacity: 0, timeout: 0 };
  const closedCounts = async (server: BenchServer) => ({
    evicted: await scrapeMetric(server, 'edgefleet_mqtt_connections_closed_total{reason="evicted"}'),
    capacity: await scrapeMetric(server, 'edgefleet_mqtt_connections_closed_total{reason="capacity"}'),
    timeout: await scrapeMetric(server, 'edgefleet_mqtt_connections_closed_total{reason="connect-timeout"}'),
  });
  let openPeak = 0;
  let peakTimer: NodeJS.Timeout | undefined;
  return {
    name: 'silent',
    async start(server) {
      closed0 = await closedCounts(server);
      const { host, port } = hostAndPort(server.mqtt!);
      const processes = Math.ceil(SILENT / SILENT_PER_PROCESS);
      workers = Array.from({ length: processes }, (_, i) =>
        fork(join(__dirname, 'support', 'silent-socket-worker.js'), [host, String(port), String(Math.ceil(SILENT / processes)), `127.0.0.${10 + i}`, '200']),
      );
      peakTimer = setInterval(() => void scrapeMetric(server, 'edgefleet_mqtt_open_sockets').then((n) => (openPeak = Math.max(openPeak, n))), 250);
      // The honest devices connect while the sockets are still being opened.
      await sleep(1_000);
    },
    async stop(server) {
      clearInterval(peakTimer);
      const reports = await Promise.all(workers.map((worker) => ask(worker)));
      for (const worker of workers) worker.send({ type: 'stop' });
      const closed = await closedCounts(server);
      const sum = (key: 'opened' | 'closedByServer' | 'failed') => reports.reduce((total, r) => total + r[key], 0);
      return (
        `silent sockets: ${sum('opened')} opened of ${SILENT} (${sum('failed')} refused or failed), ${sum('closedByServer')} closed by the server; ` +
        `server: open sockets peak ${openPeak}, closed ${closed.evicted - closed0.evicted} to make room, ${closed.capacity - closed0.capacity} at accept, ${closed.timeout - closed0.timeout} for no CONNECT in time`
      );
    },
  };
}

function ask(worker: ChildProcess): Promise<{ opened: number; closedByServer: number; failed: number }> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; opened: number; closedByServer: number; failed: number }) => {
      if (message.type !== 'report') return;
      worker.off('message', onMessage);
      resolve(message);
    };
    worker.on('message', onMessage);
    worker.send({ type: 'report' });
  });
}

/** CONNECTs with a NUL in client id and user name, NUL_PER_SEC a second. */
function nulStorm(): Abuse {
  let timer: NodeJS.Timeout | undefined;
  const codes = new Map<string, number>();
  let sent = 0;
  return {
    name: 'nul',
    async start(server) {
      const { host, port } = hostAndPort(server.mqtt!);
      timer = setInterval(() => {
        for (let i = 0; i < NUL_PER_SEC / 20; i++) {
          sent++;
          RawMqttDevice.connect(host, port, { id: `x\u0000${sent}`, password: 'guess' }, '127.0.0.2').then(
            (device) => (codes.set('accepted', (codes.get('accepted') ?? 0) + 1), device.close()),
            (error: Error) => {
              const code = /CONNACK (\d+)/.exec(error.message)?.[1] ?? 'closed';
              codes.set(code, (codes.get(code) ?? 0) + 1);
            },
          );
        }
      }, 50);
    },
    async stop() {
      clearInterval(timer);
      await sleep(500);
      return `NUL-client-id CONNECTs: ${sent} sent from 127.0.0.2; answers ${[...codes].map(([code, n]) => `${code}: ${n}`).join(', ')}`;
    },
  };
}

/** STUCK devices subscribed to their own topic that stop reading and publish 250 KB messages; reconnect when closed. */
async function stuckDevices(server: BenchServer): Promise<Abuse> {
  const logins = STUCK > 0 ? await registerDevices(server, STUCK, 'stuck') : [];
  const payload = Buffer.alloc(250_000, 'x');
  let running = false;
  let sessions = 0;
  let closed0 = 0;
  const loops: Array<Promise<void>> = [];
  return {
    name: 'stuck',
    async start(srv) {
      running = true;
      closed0 = await scrapeMetric(srv, 'edgefleet_mqtt_connections_closed_total{reason="outbound-queue"}');
      const { host, port } = hostAndPort(srv.mqtt!);
      for (const login of logins) {
        loops.push(
          (async () => {
            while (running) {
              const device = await RawMqttDevice.connect(host, port, login, '127.0.0.3').catch(() => undefined);
              if (!device) {
                await sleep(200);
                continue;
              }
              sessions++;
              if (STUCK_READS) device.subscribe(`devices/${login.id}/#`);
              else device.subscribeAndStopReading(`devices/${login.id}/#`);
              let open = true;
              void device.closed.then(() => (open = false));
              // Within the default publish rate limit (50/s): 40 a second, echoed back to the device.
              while (running && open) {
                device.publish(`devices/${login.id}/telemetry`, payload);
                await sleep(25);
              }
              if (open) device.close();
            }
          })(),
        );
      }
    },
    async stop(srv) {
      running = false;
      await Promise.all(loops);
      const closed = (await scrapeMetric(srv, 'edgefleet_mqtt_connections_closed_total{reason="outbound-queue"}')) - closed0;
      return `${STUCK_READS ? 'reading (BENCH_STUCK_READS=1)' : 'non-reading'} devices: ${STUCK}, ${sessions} sessions; ${closed} closed by the server for their outbound queue (MQTT_MAX_OUTBOUND_KB)`;
    },
  };
}

/** SSE streams of one running rollout (its devices are offline, so it never ends). */
async function sseStreams(server: BenchServer): Promise<Abuse> {
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const targets = await registerDevices(server, 10, 'sse-target');
  let requests: ClientRequest[] = [];
  let open = 0;
  let polls0 = 0;
  let started = 0;
  return {
    name: 'sse',
    async start(srv) {
      const res = await fetch(`${srv.http}/api/v1/rollouts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'abuse-sse', type: 'config', config: { mode: 'x' }, target: { deviceIds: targets.map((t) => t.id) } }),
      });
      if (res.status !== 201) throw new Error(`rollout: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const url = new URL(`${srv.http}/api/v1/rollouts/${id}/events`);
      requests = Array.from({ length: SSE }, () =>
        httpGet({ host: url.hostname, port: url.port, path: url.pathname, headers, agent: false }, (response) => {
          if (response.statusCode === 200) open++;
          response.resume();
        }).on('error', () => undefined),
      );
      while (open < SSE && (await scrapeMetric(srv, 'edgefleet_sse_streams')) < SSE) await sleep(100);
      polls0 = await scrapeMetric(srv, 'edgefleet_rollout_event_polls_total');
      started = performance.now();
    },
    async stop(srv) {
      const polls = (await scrapeMetric(srv, 'edgefleet_rollout_event_polls_total')) - polls0;
      const seconds = (performance.now() - started) / 1000;
      for (const request of requests) request.destroy();
      return `SSE streams: ${open} open on one rollout; ${(polls / seconds).toFixed(1)} rollout reads/s feeding them`;
    },
  };
}

function openFilesLimitOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
