import { startBenchServer } from './support/bench-server';
import { closeFleet, connectFleet, describeLatencies, loadShapeFromEnv, runEdgefleetLoad, runMosquittoLoad } from './support/reported-load-run';

// Issue #3 bench:ingest: devices publish state/reported at a steady rate; reports are persisted
// end to end (broker → gateway → twin → batched write to Postgres). Target on the 2-core
// machine: >= 20,000 reported messages/s persisted with p99 publish → row < 250 ms.
// Then the same load at QoS 1, whose PUBACK waits until the report is in Postgres (issue #15):
// target the same throughput with PUBLISH → PUBACK p99 < 250 ms. Then the same raw publish
// load against a real Mosquitto on the same machine, for the ratio.
async function main(): Promise<void> {
  const shape = loadShapeFromEnv();
  const offered = shape.devices * shape.ratePerDevice;
  console.log(`bench:ingest — ${shape.devices} devices × ${shape.ratePerDevice} reports/s = ${offered} msg/s offered, QoS 0, ${shape.seconds} s measured after ${shape.warmupSeconds} s warm-up`);

  const server = await startBenchServer();
  let logins;
  try {
    const fleet = await connectFleet(server, shape.devices);
    logins = fleet.logins;
    console.log(`edgefleet: ${shape.devices} devices connected in ${fleet.connectSeconds.toFixed(1)} s`);
    const run = await runEdgefleetLoad(server, fleet, shape);
    const qos1 = process.env.BENCH_QOS1 === '0' ? undefined : await runEdgefleetLoad(server, fleet, { ...shape, qos: 1 });
    closeFleet(fleet);
    const perMsg = (ms: number) => ((ms * 1000) / (run.persistedPerSec * shape.seconds)).toFixed(1);
    console.log(
      `edgefleet: offered ${Math.round(run.offeredPerSec)} msg/s, persisted ${Math.round(run.persistedPerSec)} msg/s ` +
        `(${Math.round(run.rowsPerSec)} twin rows/s written), target >= 20000`,
    );
    console.log(
      `edgefleet: ${run.flushes} batched twin writes, ${Math.round((run.rowsPerSec * shape.seconds) / run.flushes)} rows and ${run.meanFlushMs.toFixed(1)} ms each on average; ` +
        `${run.heldByGate} publishes held by the ingest gate`,
    );
    console.log(`edgefleet: publish → row in Postgres ${describeLatencies(run.writeLatencies)} (target p99 < 250 ms)`);
    console.log(`  of which publish → merged by the server ${describeLatencies(run.mergeLatencies)}; merged → row ${describeLatencies(run.rowLatencies)}`);
    console.log(
      `edgefleet: all sent reports persisted ${Number.isNaN(run.drainMs) ? 'NOT within 15 s' : `${Math.round(run.drainMs)} ms`} after the load stopped; ` +
        `load generator backlog ${run.generatorBacklogBytes} bytes`,
    );
    console.log(
      `edgefleet: CPU per persisted message: server ${perMsg(run.serverCpuMs)} µs, Postgres ${perMsg(run.postgresCpuMs)} µs ` +
        `(load generator ${perMsg(run.clientCpuMs)} µs)`,
    );

    if (qos1) {
      console.log(
        `edgefleet QoS 1: offered ${Math.round(qos1.offeredPerSec)} msg/s, persisted ${Math.round(qos1.persistedPerSec)} msg/s, ` +
          `${qos1.ackLatencies.length} PUBACKs in the window (target >= 20000 persisted/s)`,
      );
      console.log(`edgefleet QoS 1: PUBLISH → PUBACK (after the row is in Postgres) ${describeLatencies(qos1.ackLatencies)} (target p99 < 250 ms); ${qos1.unacknowledged} unacknowledged at the window's end`);
      console.log(`edgefleet QoS 1: publish → row in Postgres ${describeLatencies(qos1.writeLatencies)}; CPU per persisted message: server ${((qos1.serverCpuMs * 1000) / (qos1.persistedPerSec * shape.seconds)).toFixed(1)} µs`);
    }

    const mosquitto = await runMosquittoLoad(logins, shape);
    const mosquittoPerMsg = (mosquitto.brokerCpuMs * 1000) / (mosquitto.deliveredPerSec * shape.seconds);
    const edgefleetPerMsg = ((run.serverCpuMs + run.postgresCpuMs) * 1000) / (run.persistedPerSec * shape.seconds);
    console.log(`mosquitto: ${shape.devices} devices connected in ${mosquitto.connectSeconds.toFixed(1)} s (anonymous, no persistence)`);
    console.log(`mosquitto: delivered ${Math.round(mosquitto.deliveredPerSec)} msg/s to one subscriber; publish → subscriber ${describeLatencies(mosquitto.latencies)}`);
    console.log(`mosquitto: CPU per message ${mosquittoPerMsg.toFixed(1)} µs`);
    console.log(
      `ratio edgefleet/mosquitto: throughput ${(run.persistedPerSec / mosquitto.deliveredPerSec).toFixed(2)} at the same offered load; ` +
        `CPU per message ${(edgefleetPerMsg / mosquittoPerMsg).toFixed(1)}× (edgefleet server + Postgres, with auth, ACLs and persistence)`,
    );
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
