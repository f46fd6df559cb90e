import { startBenchServer } from './support/bench-server';
import { percentile } from './support/bench-server';
import { closeFleet, connectFleet, describeLatencies, loadShapeFromEnv, runEdgefleetLoad } from './support/reported-load-run';

// Issue #4 bench:twin: 10,000 devices each reporting twice a second. Prints persisted updates/s
// and the lag from publish to the value being readable through GET /api/v1/devices/{id}/twin.
// Target: no backlog growth at 20,000 reports/s on this machine.
const API_PROBES = Number(process.env.BENCH_API_PROBES ?? 4);

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
    const p99 = (lags: number[]) => (lags.length ? `${Math.round(percentile(lags, 99))} ms` : 'n/a');
    const drained = Number.isNaN(run.drainMs) ? 'NOT within 15 s' : `${Math.round(run.drainMs)} ms`;
    console.log(
      `backlog: p99 lag first half ${p99(run.apiLagsFirstHalf)}, second half ${p99(run.apiLagsSecondHalf)}; ` +
        `everything sent was persisted ${drained} after the load stopped`,
    );
    console.log(`verdict: ${backlogVerdict(run.offeredPerSec, run.persistedPerSec, run.apiLagsFirstHalf, run.apiLagsSecondHalf)} (target: no backlog growth)`);
    console.log(`publish → row in Postgres: ${describeLatencies(run.writeLatencies)}`);
  } finally {
    await server.stop();
  }
}

/** No backlog growth: nearly everything offered is persisted, and the lag does not climb from the first half to the second. */
function backlogVerdict(offered: number, persisted: number, firstHalf: number[], secondHalf: number[]): string {
  if (persisted < 0.97 * offered) return `backlog GROWS: persisted ${Math.round((100 * persisted) / offered)} % of what was offered`;
  if (firstHalf.length && secondHalf.length && percentile(secondHalf, 99) > 1.5 * percentile(firstHalf, 99) + 100) return 'backlog GROWS: the lag climbs';
  return 'no backlog growth';
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
