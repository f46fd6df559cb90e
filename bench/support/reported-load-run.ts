import { connectAsync } from 'mqtt';
import type { BenchServer } from './bench-server';
import { percentile } from './bench-server';
import { type DeviceLogin, hostAndPort, registerDevices, scrapeMetric } from './fleet-setup';
import { startMosquitto } from './mosquitto';
import { treeCpu, cpuMeter } from './process-cpu';
import { type RawMqttDevice, connectAll } from './raw-mqtt';
import { ReportLoad, benchReport } from './report-load';
import { TwinRows } from './twin-rows';

export interface LoadShape {
  devices: number;
  ratePerDevice: number;
  seconds: number;
  warmupSeconds: number;
  qos?: 0 | 1;
}

/** The load shape from BENCH_* variables, with the defaults (10,000 devices × 2 reports/s). */
export function loadShapeFromEnv(): LoadShape {
  return {
    devices: Number(process.env.BENCH_DEVICES ?? 10_000),
    ratePerDevice: Number(process.env.BENCH_RATE ?? 2),
    seconds: Number(process.env.BENCH_SECONDS ?? 20),
    warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 5),
  };
}

export interface Fleet {
  logins: DeviceLogin[];
  devices: RawMqttDevice[];
  connectSeconds: number;
}

export async function connectFleet(server: BenchServer, count: number): Promise<Fleet> {
  const logins = await registerDevices(server, count, 'bench');
  const { host, port } = hostAndPort(server.mqtt!);
  const started = performance.now();
  const devices = await connectAll(host, port, logins);
  return { logins, devices, connectSeconds: (performance.now() - started) / 1000 };
}

export interface EdgefleetRun {
  offeredPerSec: number;
  /** Reports merged into rows that are committed in Postgres, per second of the measured window. */
  persistedPerSec: number;
  /** Twin rows written per second (coalescing makes this ≤ reports). */
  rowsPerSec: number;
  /** publish → row written, one sample per device write, sorted (ms). */
  writeLatencies: number[];
  /** Its parts, sorted (ms): publish → merged by the server, and merged → row written. */
  mergeLatencies: number[];
  rowLatencies: number[];
  /** publish → value readable through GET .../twin, sorted (ms); empty without probes. */
  apiLags: number[];
  apiLagsFirstHalf: number[];
  apiLagsSecondHalf: number[];
  /** After the load stopped: how long until every sent report was persisted (ms), or NaN if not within 15 s. */
  drainMs: number;
  serverCpuMs: number;
  postgresCpuMs: number;
  clientCpuMs: number;
  generatorBacklogBytes: number;
  /** Batched twin writes in the measured window, and their mean duration (ms). */
  flushes: number;
  meanFlushMs: number;
  /** Publishes the ingest gate held back in the measured window (it holds them while the event loop lags). */
  heldByGate: number;
  /** QoS 1 only: PUBLISH → PUBACK of the reports acknowledged in the measured window, sorted (ms), and how many were still unacknowledged at its end. */
  ackLatencies: number[];
  unacknowledged: number;
}

/** Runs the steady report load against the EdgeFleet server and measures it from Postgres (and the API, with probes). */
export async function runEdgefleetLoad(server: BenchServer, fleet: Fleet, shape: LoadShape, options: { apiProbes?: number } = {}): Promise<EdgefleetRun> {
  const rows = await TwinRows.open(server);
  const load = new ReportLoad(fleet.devices, {
    ratePerDevice: shape.ratePerDevice,
    topic: (i) => `devices/${fleet.logins[i].id}/state/reported`,
    payload: benchReport,
    qos: shape.qos ?? 0,
  });
  const ackLatencies: number[] = [];
  let measuringAcks = false;
  for (const device of fleet.devices) device.trackAcks((ms) => measuringAcks && ackLatencies.push(ms));
  try {
    const persistedBefore = await rows.persistedReports();
    load.start();
    await sleep(shape.warmupSeconds * 1000);
    measuringAcks = true;
    await rows.newWriteLatencies();
    const persisted0 = await rows.persistedReports();
    const rows0 = await scrapeMetric(server, 'edgefleet_twin_reported_rows_written_total');
    const flushes0 = await flushTotals(server);
    const held0 = await scrapeMetric(server, 'edgefleet_mqtt_messages_held_total');
    const sent0 = load.sent;
    const cpu = cpuMeter(server.pid);
    const started = performance.now();
    const startedEpoch = Date.now();
    const stopAt = startedEpoch + shape.seconds * 1000;
    const lagSamples: Array<{ at: number; lag: number }> = [];
    const probes = Array.from({ length: options.apiProbes ?? 0 }, () => probeApiLag(server, fleet, load, stopAt, lagSamples));
    const writeLatencies: number[] = [];
    const mergeLatencies: number[] = [];
    const rowLatencies: number[] = [];
    while (Date.now() < stopAt) {
      await sleep(250);
      const latencies = await rows.newWriteLatencies();
      writeLatencies.push(...latencies.total);
      mergeLatencies.push(...latencies.toMerge);
      rowLatencies.push(...latencies.toRow);
    }
    await Promise.all(probes);
    measuringAcks = false;
    const unacknowledged = fleet.devices.reduce((sum, device) => sum + device.unacknowledged, 0);
    const seconds = (performance.now() - started) / 1000;
    const sent = load.sent - sent0;
    const persisted = (await rows.persistedReports()) - persisted0;
    const rowsWritten = (await scrapeMetric(server, 'edgefleet_twin_reported_rows_written_total')) - rows0;
    const flushes1 = await flushTotals(server);
    const heldByGate = (await scrapeMetric(server, 'edgefleet_mqtt_messages_held_total')) - held0;
    const used = cpu();
    const generatorBacklogBytes = load.backlogBytes();
    load.stop();
    const drainStarted = performance.now();
    let drainMs = NaN;
    while (performance.now() - drainStarted < 15_000) {
      if ((await rows.persistedReports()) - persistedBefore >= load.sent) {
        drainMs = performance.now() - drainStarted;
        break;
      }
      await sleep(50);
    }
    const midEpoch = startedEpoch + (seconds * 1000) / 2;
    return {
      offeredPerSec: sent / seconds,
      persistedPerSec: persisted / seconds,
      rowsPerSec: rowsWritten / seconds,
      writeLatencies: writeLatencies.sort((a, b) => a - b),
      mergeLatencies: mergeLatencies.sort((a, b) => a - b),
      rowLatencies: rowLatencies.sort((a, b) => a - b),
      apiLags: lagSamples.map((s) => s.lag).sort((a, b) => a - b),
      apiLagsFirstHalf: lagSamples.filter((s) => s.at < midEpoch).map((s) => s.lag).sort((a, b) => a - b),
      apiLagsSecondHalf: lagSamples.filter((s) => s.at >= midEpoch).map((s) => s.lag).sort((a, b) => a - b),
      drainMs,
      serverCpuMs: used.serverMs,
      postgresCpuMs: used.postgresMs,
      clientCpuMs: used.clientMs,
      generatorBacklogBytes,
      flushes: flushes1.count - flushes0.count,
      meanFlushMs: ((flushes1.seconds - flushes0.seconds) * 1000) / (flushes1.count - flushes0.count),
      heldByGate,
      ackLatencies: ackLatencies.sort((a, b) => a - b),
      unacknowledged,
    };
  } finally {
    for (const device of fleet.devices) device.trackAcks(undefined);
    load.stop();
    await rows.close();
  }
}

async function flushTotals(server: BenchServer): Promise<{ count: number; seconds: number }> {
  return {
    count: await scrapeMetric(server, 'edgefleet_twin_flush_seconds_count'),
    seconds: await scrapeMetric(server, 'edgefleet_twin_flush_seconds_sum'),
  };
}

/**
 * One prober: picks a device, waits for its next report to be sent, then polls GET .../twin
 * every 10 ms until that report is readable; the lag is from the send to the first read that
 * shows it (so it includes up to one polling interval).
 */
async function probeApiLag(server: BenchServer, fleet: Fleet, load: ReportLoad, stopAt: number, samples: Array<{ at: number; lag: number }>): Promise<void> {
  const headers = { authorization: `Bearer ${server.token}` };
  while (Date.now() < stopAt) {
    const index = Math.floor(Math.random() * fleet.devices.length);
    const target = load.lastSeq[index] + 1;
    while (load.lastSeq[index] < target) await sleep(2);
    if (load.lastSeq[index] !== target) continue; // missed it (generator caught up several periods at once)
    const sentAt = load.lastSentAt[index];
    for (;;) {
      const res = await fetch(`${server.http}/api/v1/devices/${fleet.logins[index].id}/twin`, { headers });
      const twin = (await res.json()) as { reported?: { seq?: number } };
      if ((twin.reported?.seq ?? 0) >= target) break;
      if (Date.now() - sentAt > 30_000) throw new Error(`report ${target} of ${fleet.logins[index].id} not readable after 30 s`);
      await sleep(10);
    }
    samples.push({ at: sentAt, lag: Date.now() - sentAt });
  }
}

export interface MosquittoRun {
  deliveredPerSec: number;
  /** publish → delivered to a subscriber, sorted (ms). */
  latencies: number[];
  brokerCpuMs: number;
  connectSeconds: number;
}

/** The same devices and publish load against a real Mosquitto, with one subscriber to `devices/+/state/reported` as the consumer. */
export async function runMosquittoLoad(logins: readonly DeviceLogin[], shape: LoadShape): Promise<MosquittoRun> {
  const mosquitto = await startMosquitto();
  const subscriber = await connectAsync(`mqtt://${mosquitto.host}:${mosquitto.port}`, { clientId: 'bench-consumer', protocolVersion: 4, reconnectPeriod: 0 });
  let measuring = false;
  let delivered = 0;
  const latencies: number[] = [];
  subscriber.on('message', (_topic, payload) => {
    if (!measuring) return;
    delivered++;
    const match = /"sentAt":(\d+)/.exec(payload.toString('latin1'));
    if (match) latencies.push(Date.now() - Number(match[1]));
  });
  await subscriber.subscribeAsync('devices/+/state/reported', { qos: 0 });
  const started = performance.now();
  const devices = await connectAll(mosquitto.host, mosquitto.port, logins.map((login) => ({ id: login.id })));
  const connectSeconds = (performance.now() - started) / 1000;
  const load = new ReportLoad(devices, { ratePerDevice: shape.ratePerDevice, topic: (i) => `devices/${logins[i].id}/state/reported`, payload: benchReport });
  try {
    load.start();
    await sleep(shape.warmupSeconds * 1000);
    const cpu0 = treeCpu(mosquitto.pid)?.rootMs ?? NaN;
    measuring = true;
    const measureStarted = performance.now();
    await sleep(shape.seconds * 1000);
    measuring = false;
    const seconds = (performance.now() - measureStarted) / 1000;
    const cpu1 = treeCpu(mosquitto.pid)?.rootMs ?? NaN;
    return { deliveredPerSec: delivered / seconds, latencies: latencies.sort((a, b) => a - b), brokerCpuMs: cpu1 - cpu0, connectSeconds };
  } finally {
    load.stop();
    for (const device of devices) device.close();
    await subscriber.endAsync(true);
    await mosquitto.stop();
  }
}

export function describeLatencies(sorted: number[]): string {
  if (sorted.length === 0) return 'no samples';
  return `p50 ${Math.round(percentile(sorted, 50))} ms, p99 ${Math.round(percentile(sorted, 99))} ms, max ${Math.round(sorted[sorted.length - 1])} ms (${sorted.length} samples)`;
}

export function closeFleet(fleet: Fleet): void {
  for (const device of fleet.devices) device.close();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
