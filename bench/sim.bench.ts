import { loadSigningKey } from '@edgefleet/device-sdk';
import { openFilesLimit } from '@edgefleet/common';
import { Fleet, FleetApi, INSTANT_DEVICES, ProcessUsage } from '@edgefleet/fleet-sim';
import { startBenchServer } from './support/bench-server';
import { registerDevices } from './support/fleet-setup';

// Issue #7: the simulator must not be the bottleneck: 20,000 simulated devices (SDK clients)
// in one process, under 2 GiB RSS. Connects them to a real server and prints how many came
// online and the simulator's own CPU and peak memory.
const DEVICES = Number(process.env.BENCH_DEVICES ?? 20_000);
const CONNECT_RATE = Number(process.env.BENCH_CONNECT_RATE ?? 2_000);
const SETTLE_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);

async function main(): Promise<void> {
  console.log(`bench:sim — ${DEVICES} simulated SDK devices in this process, connecting at ${CONNECT_RATE}/s, then ${SETTLE_SECONDS} s idle`);
  const limit = openFilesLimit();
  if (limit !== undefined && DEVICES + 64 > limit) {
    console.log(`note: the descriptor limit here is ${limit} (ulimit -n) for this process and the server alike; about ${DEVICES + 64 - limit} devices cannot get a socket`);
  }
  const server = await startBenchServer({ MQTT_MAX_CONNECTIONS: String(DEVICES + 1_000) });
  const usage = new ProcessUsage();
  let fleet: Fleet | undefined;
  try {
    const logins = await registerDevices(server, DEVICES, 'sim');
    const api = new FleetApi(server.http, server.token);
    fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: server.mqtt!,
      logins,
      firmware: '1.0.0',
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: CONNECT_RATE,
    });
    const started = performance.now();
    await fleet.start();
    let allOnlineAt: number | undefined;
    const until = started + (DEVICES / CONNECT_RATE + SETTLE_SECONDS) * 1000;
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      usage.sample();
      if (allOnlineAt === undefined && fleet.stats().online >= DEVICES) allOnlineAt = performance.now();
    }
    const stats = fleet.stats();
    const summary = usage.totals();
    console.log(`online ${stats.online}/${DEVICES}${allOnlineAt ? ` (all after ${((allOnlineAt - started) / 1000).toFixed(1)} s)` : ''}, refused ${stats.refused}`);
    console.log(`simulator CPU ${summary.cpuSeconds.toFixed(1)} s over ${summary.wallSeconds.toFixed(0)} s (${summary.cpuPercent.toFixed(0)} % of one core)`);
    console.log(`simulator peak RSS ${summary.peakRssMiB.toFixed(0)} MiB = ${((summary.peakRssMiB * 1024) / DEVICES).toFixed(1)} KiB per device (target < 2 GiB for 20,000)`);
  } finally {
    await fleet?.stop();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
