import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { Fleet, FleetApi, INSTANT_DEVICES, type RolloutView } from '@edgefleet/fleet-sim';
import { type BenchServer, startBenchServer } from './support/bench-server';
import { registerDevices, scrapeMetric } from './support/fleet-setup';
import { type DatabaseCounters, PostgresStats, STATS_FLUSH_MS, counterDelta } from './support/postgres-stats';
import { cpuMeter } from './support/process-cpu';
import { ROLLOUT_BENCH_USAGE, type RolloutBenchOptions, parseRolloutBenchArgs } from './support/rollout-bench-options';

// Issue #6 bench:rollout: a firmware rollout to N simulated devices (libs/fleet-sim, each a real
// SDK client: accept, HTTP download, verify, install, reboot, report) that answer at once.
// Prints the rollout's time from create to completed, jobs dispatched per second, and the CPU of
// the server and of its Postgres with Postgres' transaction count, at each fleet size, so it
// shows whether database load stays flat as the fleet grows. Target: 10,000 devices in < 60 s.
const DEVICE_TYPE = 'rbench';
const FIRMWARE_FROM = '1.0.0';
const FIRMWARE_TO = '2.0.0';
const POLL_MS = 500;
const PROGRESS_EVERY_MS = 5_000;
const FINAL_STATES = new Set(['completed', 'aborted', 'cancelled']);

interface Usage {
  seconds: number;
  serverMs: number;
  postgresMs: number;
  fleetMs: number;
  db: DatabaseCounters;
}

interface RunResult {
  devices: number;
  state: string;
  reason: string | null;
  succeeded: number;
  /** Server clock: createdAt → finishedAt. */
  rolloutSeconds: number;
  dispatched: number;
  /** createdAt → the last job's dispatch. */
  dispatchSeconds: number;
  peakDispatchPerSecond: number;
  deviceSeconds: { p50: number; p99: number };
  idle: Usage;
  rollout: Usage;
}

async function main(): Promise<void> {
  let options: RolloutBenchOptions;
  try {
    options = parseRolloutBenchArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench:rollout: ${(error as Error).message}\n\n${ROLLOUT_BENCH_USAGE}`);
    process.exit(2);
  }
  const range = (r: { min: number; max: number }) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`);
  console.log(
    `bench:rollout — firmware ${FIRMWARE_FROM} → ${FIRMWARE_TO} (${options.artifactBytes / 1024} KiB, HTTP download), ` +
      `waves [${options.waves.join(', ')}] %, maxInFlight ${options.maxInFlight}, devices answer at once ` +
      `(install ${range(options.installTime)} ms, reboot ${range(options.rebootTime)} ms, fail rate ${options.failRate}); ` +
      `fleet sizes ${options.sizes.join(', ')}, a fresh server each`,
  );
  const results: RunResult[] = [];
  for (const size of options.sizes) {
    const result = await runOnce(size, options);
    results.push(result);
    printRun(result);
  }
  if (results.length > 1) printComparison(results);
}

async function runOnce(devices: number, options: RolloutBenchOptions): Promise<RunResult> {
  console.log(`\n── ${devices} devices ──`);
  const server = await startBenchServer({ MQTT_MAX_CONNECTIONS: String(devices + 1_000) });
  const api = new FleetApi(server.http, server.token);
  let fleet: Fleet | undefined;
  let stats: PostgresStats | undefined;
  try {
    stats = await PostgresStats.open(server);
    const logins = await registerDevices(server, devices, `rb${devices}`, DEVICE_TYPE);
    const image = join(server.dataDir, 'firmware.bin');
    writeFileSync(image, randomBytes(options.artifactBytes));
    const artifact = await api.uploadArtifact(image, { name: 'bench-fw', version: FIRMWARE_TO, deviceTypes: [DEVICE_TYPE] });

    fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: server.mqtt!,
      logins,
      firmware: FIRMWARE_FROM,
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: options.connectRate,
      failRate: options.failRate,
      installTime: options.installTime,
      rebootTime: options.rebootTime,
    });
    const connectStarted = performance.now();
    await fleet.start();
    await waitFor(() => fleet!.stats().online >= devices, 120_000, `${devices} devices online`);
    console.log(`${devices} devices connected in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s; measuring the idle server for ${STATS_FLUSH_MS / 1000} s`);

    // Idle baseline, after the connect burst has been published to pg_stat_database.
    const beforeIdle = await stats.settledCounters();
    const idle = startUsage(server);
    const idleCounters = await stats.settledCounters();
    const idleUsage = idle.stop(counterDelta(beforeIdle, idleCounters));

    const dispatchedBefore = await scrapeMetric(server, 'edgefleet_rollout_jobs_dispatched_total');
    const usage = startUsage(server);
    const created = await api.createRollout({
      name: `bench ${devices}`,
      type: 'firmware',
      artifactId: artifact.id,
      target: { selector: { type: DEVICE_TYPE } },
      strategy: { waves: options.waves, maxInFlight: options.maxInFlight, deviceTimeoutSeconds: 600, retries: 2 },
    });
    const final = await watchRollout(api, created.id, options.timeoutSeconds).catch(async (error: Error) => {
      console.log(`  fleet: ${JSON.stringify(fleet!.stats())}`);
      for (const job of await stuckJobs(stats!, created.id)) console.log(`  not finished: ${JSON.stringify(job)}`);
      throw error;
    });
    const rolloutCpu = usage.cpu();
    const afterCounters = await stats.settledCounters();
    // The settle wait after completion is idle time: its share of the baseline rate is taken out.
    const idleRate = (n: number) => (n / idleUsage.seconds) * (STATS_FLUSH_MS / 1000);
    const raw = counterDelta(idleCounters, afterCounters);
    const db = { transactions: raw.transactions - idleRate(idleUsage.db.transactions), rowsWritten: raw.rowsWritten - idleRate(idleUsage.db.rowsWritten) };
    const timing = await jobTiming(stats, created.id);
    const fleetStats = fleet.stats();
    console.log(`  fleet at the end: online ${fleetStats.online}/${devices}, refused ${fleetStats.refused}, reconnects ${fleetStats.reconnects}, firmware ${JSON.stringify(fleetStats.firmware)}`);
    return {
      devices,
      state: final.state,
      reason: (final.reason as string | null) ?? null,
      succeeded: final.counts?.succeeded ?? 0,
      rolloutSeconds: timing.rolloutSeconds,
      dispatched: (await scrapeMetric(server, 'edgefleet_rollout_jobs_dispatched_total')) - dispatchedBefore,
      dispatchSeconds: timing.dispatchSeconds,
      peakDispatchPerSecond: timing.peakPerSecond,
      deviceSeconds: { p50: timing.p50, p99: timing.p99 },
      idle: idleUsage,
      rollout: { serverMs: rolloutCpu.serverMs, postgresMs: rolloutCpu.postgresMs, fleetMs: rolloutCpu.fleetMs, seconds: rolloutCpu.wallSeconds, db },
    };
  } finally {
    await fleet?.stop();
    await stats?.close();
    await server.stop();
  }
}

/** CPU of the server, its Postgres and this process (the fleet) from now until stop(). */
function startUsage(server: BenchServer) {
  const meter = cpuMeter(server.pid);
  const started = performance.now();
  const cpu = () => {
    const { serverMs, postgresMs, clientMs } = meter();
    return { serverMs, postgresMs, fleetMs: clientMs, wallSeconds: (performance.now() - started) / 1000 };
  };
  return {
    cpu,
    stop: (db: DatabaseCounters): Usage => {
      const { wallSeconds, ...rest } = cpu();
      return { ...rest, seconds: wallSeconds, db };
    },
  };
}

/** Polls the rollout until it reaches a final state, printing progress every few seconds. */
async function watchRollout(api: FleetApi, id: string, timeoutSeconds: number): Promise<RolloutView> {
  const started = performance.now();
  let lastPrinted = 0;
  for (;;) {
    const view = await api.rollout(id);
    const elapsed = performance.now() - started;
    if (FINAL_STATES.has(view.state)) {
      console.log(`  ${(elapsed / 1000).toFixed(1)} s: ${view.state}${view.reason ? ` (${view.reason})` : ''} · ${countsText(view)}`);
      return view;
    }
    if (elapsed - lastPrinted >= PROGRESS_EVERY_MS) {
      lastPrinted = elapsed;
      console.log(`  ${(elapsed / 1000).toFixed(1)} s: ${view.state}, wave ${String(view.currentWave)} · ${countsText(view)}`);
    }
    if (elapsed > timeoutSeconds * 1000) throw new Error(`rollout ${id} not finished after ${timeoutSeconds} s: ${view.state} · ${countsText(view)}`);
    await sleep(POLL_MS);
  }
}

function countsText(view: RolloutView): string {
  return Object.entries(view.counts ?? {})
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
}

/** Server-side timestamps of the rollout and its jobs. */
async function jobTiming(stats: PostgresStats, rolloutId: string) {
  const [row] = await stats.query<{ rollout_s: number; dispatch_s: number; p50: number; p99: number; peak: number }>(
    `SELECT extract(epoch FROM r.finished_at - r.created_at)::float8 AS rollout_s,
       extract(epoch FROM (SELECT max(dispatched_at) FROM rollout_jobs WHERE rollout_id = r.id) - r.created_at)::float8 AS dispatch_s,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - dispatched_at)) FROM rollout_jobs WHERE rollout_id = r.id)::float8 AS p50,
       (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - dispatched_at)) FROM rollout_jobs WHERE rollout_id = r.id)::float8 AS p99,
       (SELECT max(n) FROM (SELECT count(*) AS n FROM rollout_jobs WHERE rollout_id = r.id GROUP BY date_trunc('second', dispatched_at)) s)::float8 AS peak
     FROM rollouts r WHERE r.id = $1`,
    [rolloutId],
  );
  return { rolloutSeconds: row.rollout_s, dispatchSeconds: row.dispatch_s, p50: row.p50, p99: row.p99, peakPerSecond: row.peak };
}

/** A few jobs that are not final, with what the server knows of their device: why a wave does not settle. */
async function stuckJobs(stats: PostgresStats, rolloutId: string): Promise<object[]> {
  return stats.query(
    `SELECT j.device_id, j.status, j.attempts, j.device_succeeded, j.last_error, d.online, d.firmware_version, j.updated_at
     FROM rollout_jobs j JOIN devices d ON d.id = j.device_id
     WHERE j.rollout_id = $1 AND j.status NOT IN ('succeeded', 'failed', 'rejected', 'timed_out', 'cancelled', 'queued')
     ORDER BY j.updated_at LIMIT 5`,
    [rolloutId],
  );
}

const percentOfCore = (ms: number, seconds: number) => `${Math.round(ms / 10 / seconds)}%`;
const perSecond = (n: number, seconds: number) => Math.round(n / seconds).toLocaleString('en');

function printRun(r: RunResult): void {
  const { rollout, idle } = r;
  const target = r.devices >= 10_000 ? ` (target for 10,000: < 60 s${r.rolloutSeconds < 60 ? ', met' : ', NOT met'})` : '';
  console.log(`rollout ${r.state}${r.reason ? ` (${r.reason})` : ''}: ${r.succeeded} of ${r.devices} devices succeeded`);
  console.log(`  total time, create → ${r.state} (server clock): ${r.rolloutSeconds.toFixed(1)} s${target}`);
  console.log(
    `  jobs dispatched: ${r.dispatched} in ${r.dispatchSeconds.toFixed(1)} s after create = ${perSecond(r.dispatched, r.dispatchSeconds)} jobs/s ` +
      `(${perSecond(r.devices, r.rolloutSeconds)} devices completed/s over the whole rollout; busiest second ${r.peakDispatchPerSecond} dispatches)`,
  );
  console.log(`  per device, dispatch → succeeded: p50 ${r.deviceSeconds.p50.toFixed(2)} s, p99 ${r.deviceSeconds.p99.toFixed(2)} s`);
  console.log(
    `  server CPU: ${(rollout.serverMs / 1000).toFixed(1)} s user+sys = ${percentOfCore(rollout.serverMs, rollout.seconds)} of one core ` +
      `(idle before: ${percentOfCore(idle.serverMs, idle.seconds)})`,
  );
  console.log(
    `  database: Postgres CPU ${(rollout.postgresMs / 1000).toFixed(1)} s = ${percentOfCore(rollout.postgresMs, rollout.seconds)} of one core ` +
      `(idle before: ${percentOfCore(idle.postgresMs, idle.seconds)}); ${Math.round(rollout.db.transactions)} transactions = ${perSecond(rollout.db.transactions, rollout.seconds)}/s ` +
      `(idle before: ${perSecond(idle.db.transactions, idle.seconds)}/s), ${(rollout.db.transactions / r.devices).toFixed(2)} per device; ` +
      `rows written ${(rollout.db.rowsWritten / r.devices).toFixed(1)} per device`,
  );
  console.log(`  simulated fleet (this process): CPU ${(rollout.fleetMs / 1000).toFixed(1)} s = ${percentOfCore(rollout.fleetMs, rollout.seconds)} of one core`);
}

function printComparison(results: RunResult[]): void {
  console.log('\nas the fleet grows (during each rollout; Postgres transactions from pg_stat_database, idle rate subtracted):');
  const rows = [
    ['devices', 'rollout s', 'jobs/s', 'server CPU %', 'Postgres CPU %', 'Postgres xact/s', 'xact/device', 'PG CPU ms/device'],
    ...results.map((r) => [
      String(r.devices),
      r.rolloutSeconds.toFixed(1),
      perSecond(r.dispatched, r.dispatchSeconds),
      percentOfCore(r.rollout.serverMs, r.rollout.seconds),
      percentOfCore(r.rollout.postgresMs, r.rollout.seconds),
      perSecond(r.rollout.db.transactions, r.rollout.seconds),
      (r.rollout.db.transactions / r.devices).toFixed(2),
      (r.rollout.postgresMs / r.devices).toFixed(2),
    ]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  for (const row of rows) console.log(`  ${row.map((cell, col) => cell.padStart(widths[col])).join('  ')}`);
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
