import { startBenchServer } from './support/bench-server';
import { percentile } from './support/bench-server';
import { type EdgefleetRun, closeFleet, connectFleet, describeLatencies, loadShapeFromEnv, runEdgefleetLoad } from './support/reported-load-run';

// Issue #4 bench:twin: 10,000 devices each reporting twice a second. Prints persisted updates/s
// and the lag from publish to the value being readable through GET /api/v1/devices/{id}/twin.
// Target: no backlog growth at 20,000 reports/s on this machine.
const API_PROBES = Number(process.env.BENCH_API_PROBES ?? 4);
/** 20,000 reports a second: a second's worth queued at the end is already a backlog. */
const MAX_DRAIN_MS = 1_000;

async function main(): Promise<void> {
  const shape = loadShapeFromEnv();
  console.log(
    `bench:twin — ${shape.devices} devices × ${shape.ratePerDevice} reports/s = ${shape.devices * shape.ratePerDevice} reports/s offered, ` +
      `${shape.seconds} s measured after ${shape.warmupSeconds} s warm-up, ${API_PROBES} API lag probes`,
  );
  const server = await startBenchServer();
  try {
    const fleet = await connectFleet(server, shape.devices);
    console.log(`${shape.devices} devices connected in ${fleet.connectSeconds.toFixed(1)} s`);
    const run = await runEdgefleetLoad(server, fleet, shape, { apiProbes: API_PROBES });
    closeFleet(fleet);
    console.log(
      `offered ${Math.round(run.offeredPerSec)} reports/s; persisted ${Math.round(run.persistedPerSec)} updates/s ` +
        `(${Math.round(run.rowsPerSec)} twin rows/s written)`,
    );
    console.log(`publish → readable through the API: ${describeLatencies(run.apiLags)}`);
    const lag = (lags: number[], p: number) => (lags.length ? `${Math.round(percentile(lags, p))} ms` : 'n/a');
    const drained = Number.isNaN(run.drainMs) ? 'NOT within 15 s' : `${Math.round(run.drainMs)} ms`;
    console.log(
      `backlog: lag p50/p99 first half ${lag(run.apiLagsFirstHalf, 50)}/${lag(run.apiLagsFirstHalf, 99)}, ` +
        `second half ${lag(run.apiLagsSecondHalf, 50)}/${lag(run.apiLagsSecondHalf, 99)}; everything sent was persisted ${drained} after the load stopped`,
    );
    console.log(`verdict: ${backlogVerdict(run)} (target: no backlog growth)`);
    console.log(`publish → row in Postgres: ${describeLatencies(run.writeLatencies)}`);
  } finally {
    await server.stop();
  }
}

/**
 * A backlog is reports received and not yet persisted; it grows when the server persists less
 * than is offered. So: nearly everything offered is persisted, what was queued when the load
 * stopped is persisted within a second (a backlog that grew through the run would take longer),
 * and the typical (median) lag does not climb from the first half to the second. Tail
 * percentiles of ~125 probes a half are not used: one spike decides them.
 */
function backlogVerdict(run: EdgefleetRun): string {
  const { offeredPerSec: offered, persistedPerSec: persisted, drainMs, apiLagsFirstHalf: first, apiLagsSecondHalf: second } = run;
  if (persisted < 0.97 * offered) return `backlog GROWS: persisted ${Math.round((100 * persisted) / offered)} % of what was offered`;
  if (!(drainMs <= MAX_DRAIN_MS)) return `backlog GROWS: what was queued when the load stopped took over ${MAX_DRAIN_MS} ms to persist`;
  if (first.length && second.length && percentile(second, 50) > 1.5 * percentile(first, 50) + 50) return 'backlog GROWS: the typical lag climbs';
  return 'no backlog growth';
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
