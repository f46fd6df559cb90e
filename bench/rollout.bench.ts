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
const FINAL_STATES = new Set(['completed', 'aborted', 'cancelled', 'reverted']);
// Health mode: 1.0.0 → 1.1.0 without a gate, 1.1.0 → 2.0.0 with one (all healthy), then 2.0.0 → 2.1.0 on which a share crashes: reverted to 2.0.0.
const HEALTH_VERSIONS = ['1.1.0', '2.0.0', '2.1.0'] as const;

interface Usage {
  seconds: number;
  serverMs: number;
  postgresMs: number;
  fleetMs: number;
  db: DatabaseCounters;
}

interface RunResult {
  name: string;
  rolloutId: string;
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
    for (const result of await runOnce(size, options)) {
      results.push(result);
      printRun(result);
    }
  }
  if (results.length > 1) printComparison(results);
}

async function runOnce(devices: number, options: RolloutBenchOptions): Promise<RunResult[]> {
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
    const artifact = await api.uploadArtifact(image, { name: 'bench-fw', version: options.health ? HEALTH_VERSIONS[0] : FIRMWARE_TO, deviceTypes: [DEVICE_TYPE] });

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
      ...(options.health ? { unhealthyVersion: HEALTH_VERSIONS[2], unhealthyShare: options.health.unhealthyShare } : {}),
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

    const measure = (name: string, artifactId: string, target: object, strategy: object) =>
      measureRollout({ server, api, stats: stats!, fleet: fleet!, idleUsage, devices, timeoutSeconds: options.timeoutSeconds }, {
        name,
        type: 'firmware',
        artifactId,
        target,
        strategy: { waves: options.waves, maxInFlight: options.maxInFlight, deviceTimeoutSeconds: 600, retries: 2, ...strategy },
      });
    if (!options.health) return [await measure(`bench ${devices}`, artifact.id, { selector: { type: DEVICE_TYPE } }, {})];
    return await healthRuns(options, devices, measure, artifact.id, async (version) => (await api.uploadArtifact(image, { name: 'bench-fw', version, deviceTypes: [DEVICE_TYPE] })).id, logins.map((l) => l.id), api, stats, fleet);
  } finally {
    await fleet?.stop();
    await stats?.close();
    await server.stop();
  }
}

interface MeasureContext {
  server: BenchServer;
  api: FleetApi;
  stats: PostgresStats;
  fleet: Fleet;
  idleUsage: Usage;
  devices: number;
  timeoutSeconds: number;
}

type RolloutBody = { name: string; type: 'firmware'; artifactId: string; target: object; strategy: object };

/** One rollout from create to its final state: time, dispatch rate, CPU of server and Postgres, transactions and rows written. */
async function measureRollout(context: MeasureContext, body: RolloutBody): Promise<RunResult> {
  const { server, api, stats, fleet, idleUsage, timeoutSeconds } = context;
  const devices = (body.target as { deviceIds?: string[] }).deviceIds?.length ?? context.devices;
  console.log(`  ${body.name}:`);
  const dispatchedBefore = await scrapeMetric(server, 'edgefleet_rollout_jobs_dispatched_total');
  // Settled: the idle phase, or the run before this one, ended with a settle wait.
  const beforeCounters = await stats.counters();
  const usage = startUsage(server);
  const created = await api.createRollout(body);
  const final = await watchRollout(api, created.id, timeoutSeconds).catch(async (error: Error) => {
    console.log(`  fleet: ${JSON.stringify(fleet.stats())}`);
    for (const job of await stuckJobs(stats, created.id)) console.log(`  not finished: ${JSON.stringify(job)}`);
    throw error;
  });
  const rolloutCpu = usage.cpu();
  const afterCounters = await stats.settledCounters();
  // The settle wait after completion is idle time: its share of the baseline rate is taken out.
  const idleRate = (n: number) => (n / idleUsage.seconds) * (STATS_FLUSH_MS / 1000);
  const raw = counterDelta(beforeCounters, afterCounters);
  const db = { transactions: raw.transactions - idleRate(idleUsage.db.transactions), rowsWritten: raw.rowsWritten - idleRate(idleUsage.db.rowsWritten), byTable: raw.byTable };
  const timing = await jobTiming(stats, created.id);
  const fleetStats = fleet.stats();
  console.log(`  fleet at the end: online ${fleetStats.online}/${devices}, refused ${fleetStats.refused}, reconnects ${fleetStats.reconnects}, firmware ${JSON.stringify(fleetStats.firmware)}`);
  return {
    name: body.name,
    rolloutId: created.id,
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
}

/**
 * Health mode: the same fleet takes an ungated rollout, then a gated one (every device healthy),
 * and the difference is the gate's cost; then the first `revertDevices` devices take a version on
 * which a share of them crash: the gate trips, and the revert is timed from the decision to
 * `reverted`, with the devices' own firmware reports as the check.
 */
async function healthRuns(
  options: RolloutBenchOptions,
  devices: number,
  measure: (name: string, artifactId: string, target: object, strategy: object) => Promise<RunResult>,
  firstArtifactId: string,
  upload: (version: string) => Promise<string>,
  ids: string[],
  api: FleetApi,
  stats: PostgresStats,
  fleet: Fleet,
): Promise<RunResult[]> {
  const health = options.health!;
  const gate = { bakeSeconds: health.bakeSeconds, checks: [{ path: 'health.app', op: 'eq', value: 'ok' }], minEvaluated: 20, maxUnhealthyPercent: 10, action: 'revert' };
  const all = { selector: { type: DEVICE_TYPE } };
  const [gatedId, badId] = [await upload(HEALTH_VERSIONS[1]), await upload(HEALTH_VERSIONS[2])];
  const ungated = await measure(`ungated ${FIRMWARE_FROM} → ${HEALTH_VERSIONS[0]}`, firstArtifactId, all, {});
  const gated = await measure(`gated ${HEALTH_VERSIONS[0]} → ${HEALTH_VERSIONS[1]} (bake ${health.bakeSeconds} s)`, gatedId, all, { health: gate });
  const revertIds = ids.slice(0, Math.min(health.revertDevices, devices));
  const revert = await measure(`revert: ${HEALTH_VERSIONS[1]} → ${HEALTH_VERSIONS[2]} on ${revertIds.length} devices, ${Math.round(health.unhealthyShare * 100)}% crash`, badId, { deviceIds: revertIds }, { waves: [100], health: gate });
  const [decision] = (await api.request<{ items: { at: string; action: string }[] }>('GET', `/api/v1/rollouts/${revert.rolloutId}/decisions`)).items;
  const view = await api.rollout(revert.rolloutId);
  const [row] = await stats.query<{ finished: Date }>(`SELECT finished_at AS finished FROM rollouts WHERE id = $1`, [revert.rolloutId]);
  const revertSeconds = decision ? (row.finished.getTime() - Date.parse(decision.at)) / 1000 : NaN;
  const verified = (view as unknown as { revertCounts?: Record<string, number> }).revertCounts?.succeeded ?? 0;
  const back = fleet.stats().firmware[HEALTH_VERSIONS[1]] ?? 0;
  console.log('\nhealth gate cost (same fleet, gated minus ungated):');
  const per = (r: RunResult) => ({ xact: r.rollout.db.transactions / r.devices, rows: r.rollout.db.rowsWritten / r.devices, pg: r.rollout.postgresMs / r.devices, server: r.rollout.serverMs / r.devices });
  const [u, g] = [per(ungated), per(gated)];
  const pct = (a: number, b: number) => `${b === 0 ? '—' : `${(((a - b) / b) * 100).toFixed(1)}%`}`;
  console.log(`  time: ungated ${ungated.rolloutSeconds.toFixed(1)} s, gated ${gated.rolloutSeconds.toFixed(1)} s (+${(gated.rolloutSeconds - ungated.rolloutSeconds).toFixed(1)} s; ${options.waves.length} waves × ${health.bakeSeconds} s bake is the floor)`);
  console.log(`  Postgres transactions per device: ${u.xact.toFixed(2)} → ${g.xact.toFixed(2)} (${pct(g.xact, u.xact)}); rows written per device ${u.rows.toFixed(1)} → ${g.rows.toFixed(1)} (${pct(g.rows, u.rows)})`);
  console.log(`  Postgres CPU per device: ${u.pg.toFixed(2)} → ${g.pg.toFixed(2)} ms (${pct(g.pg, u.pg)}); server CPU per device ${u.server.toFixed(2)} → ${g.server.toFixed(2)} ms (${pct(g.server, u.server)})`);
  const within = (gatedValue: number, ungatedValue: number) => (gatedValue <= ungatedValue * 1.1 ? 'met' : 'NOT met');
  console.log(
    `  target: under 10% more database work per device: Postgres CPU ${within(g.pg, u.pg)}, transactions ${within(g.xact, u.xact)}, rows written ${within(g.rows, u.rows)} ` +
      `(${(g.rows - u.rows).toFixed(2)} more a device; its verdict is one)`,
  );
  console.log(`revert of ${revertIds.length} devices: ${view.state}, ${verified} of the ${revert.succeeded} that updated reverted and verified (device reported the previous version), ${back} fleet devices report ${HEALTH_VERSIONS[1]}`);
  console.log(`  decision → reverted: ${revertSeconds.toFixed(1)} s (target for 2,000: < 30 s${revertSeconds < 30 && verified === revert.succeeded ? ', met' : ', NOT met'}); reason: ${view.reason}`);
  return [ungated, gated, revert];
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
  const tables = Object.entries(rollout.db.byTable).sort(([, a], [, b]) => b - a);
  console.log(`  rows written per device by table: ${tables.map(([name, n]) => `${name} ${(n / r.devices).toFixed(2)}`).join(', ')}`);
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
