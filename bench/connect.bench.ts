import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { benchCertificates } from './support/bench-device-certificates';
import { startBenchServer } from './support/bench-server';
import { cpuMeter } from './support/process-cpu';
import { type HandshakeCost, measureHandshakes } from './support/tls-handshake-floor';
import { rssBytes } from './support/process-memory';
import { type RawLogin, type RawMqttDevice, connectAll } from './support/raw-mqtt';

// Issue #3: N authenticated devices connect as fast as they can. Prints connects/s, the time
// until all are online in the registry (through the API), and broker memory per idle connection.
// Targets (2-core machine): 10,000 devices connected and online in under 10 s; < 10 KiB per idle connection.
// `-- --auth cert` (issue #18): the same over MQTTS, each device signing in by its own ECDSA P-256
// client certificate from a registered CA and no password; target all online in under 15 s.
const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const BATCH = 10_000;
const AUTH = process.argv.includes('--auth') ? process.argv[process.argv.indexOf('--auth') + 1] : 'password';
// TLS handshakes queue for the CPU: with 500 at once on 2 loaded cores, the last ones waited past
// MQTT_CONNECT_TIMEOUT_MS (5 s from accept, handshake included) and were closed. 100 at a time keeps
// both cores busy without that.
/** Bare handshakes measured for the floor (set-up, not part of the run). */
const FLOOR_HANDSHAKES = 1_000;
const IN_FLIGHT = Number(process.env.BENCH_CONNECT_CONCURRENCY ?? (AUTH === 'cert' ? 100 : 500));
if (AUTH !== 'password' && AUTH !== 'cert') throw new Error(`--auth must be password or cert, not '${AUTH}'`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  // --expose-gc: the server forces a full GC on SIGUSR2, so memory is measured without garbage.
  process.env.BENCH_SERVER_NODE_ARGS = `${process.env.BENCH_SERVER_NODE_ARGS ?? ''} --expose-gc`;
  const server = await startBenchServer({ MQTT_MAX_CONNECTIONS: String(DEVICES + 1_000), ...(AUTH === 'cert' ? { MQTTS_PORT: '0' } : {}) });
  const settledRss = async () => {
    process.kill(server.pid, 'SIGUSR2');
    await sleep(1_500);
    return rssBytes(server.pid);
  };
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.http}${path}`, { ...init, headers });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  let devices: RawMqttDevice[] = [];
  try {
    const logins: RawLogin[] = [];
    for (let offset = 0; offset < DEVICES; offset += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, DEVICES - offset) }, (_, i) => ({ id: `conn-${String(offset + i).padStart(6, '0')}`, type: 'sensor' }));
      const { devices: registered } = await api('/api/v1/devices/batch', { method: 'POST', body: JSON.stringify({ devices: batch }) });
      for (const device of registered) logins.push({ id: device.id, password: device.credentials.password });
    }
    const floor = AUTH === 'cert' ? await useCertificates(logins, api, server.http) : undefined;
    const rssBefore = await settledRss();
    const { port, hostname } = new URL(AUTH === 'cert' ? server.mqtts! : server.mqtt!);
    const cpu = cpuMeter(server.pid);
    const started = performance.now();
    devices = await connectAll(hostname, Number(port), logins, IN_FLIGHT);
    const connectedMs = performance.now() - started;
    const lastId = logins[logins.length - 1].id;
    while ((await api(`/api/v1/devices/${lastId}`)).status !== 'online') await sleep(50);
    let online = 0;
    for (;;) {
      online = await countOnline(api);
      if (online >= DEVICES) break;
      await sleep(100);
    }
    const onlineMs = performance.now() - started;
    const serverCpu = cpu();
    const rssAfter = await settledRss();
    const perConnection = (rssAfter - rssBefore) / DEVICES;
    const how = AUTH === 'cert' ? 'over MQTTS, each signing in by its ECDSA P-256 client certificate, no password' : 'password sign-in over TCP';
    console.log(`devices: ${DEVICES} (${IN_FLIGHT} connecting at a time, raw MQTT 3.1.1 sockets, ${how})`);
    console.log(`connected (CONNACK 0): ${(connectedMs / 1000).toFixed(2)} s = ${Math.round(DEVICES / (connectedMs / 1000))} connects/s`);
    console.log(`all online in the registry: ${(onlineMs / 1000).toFixed(2)} s after the first CONNECT (target < ${AUTH === 'cert' ? 15 : 10} s)`);
    console.log(`CPU while connecting: server ${serverCpu.serverMs} ms, its Postgres ${serverCpu.postgresMs} ms, this bench ${Math.round(serverCpu.clientMs)} ms`);
    console.log(`server RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB with ${DEVICES} idle connections = ${(perConnection / 1024).toFixed(1)} KiB per idle connection (target < 10 KiB; full GC before each reading)`);
    if (floor) printFloor(floor);
  } finally {
    for (const device of devices) device?.close();
    await server.stop();
  }
}

/**
 * Registers the bench's device CA (no auto-registration: the devices are registered above)
 * and gives every login its own certificate instead of its password.
 */
async function useCertificates(logins: RawLogin[], api: (path: string, init?: RequestInit) => Promise<any>, http: string): Promise<HandshakeCost> {
  const started = performance.now();
  const certificates = await benchCertificates();
  await api('/api/v1/cas', { method: 'POST', body: JSON.stringify({ certificate: certificates.caPem }) });
  const fleetCa = await (await fetch(`${http}/api/v1/ca`)).text();
  for (const login of logins) {
    // Loaded once, as a device holds its key and certificate from boot: the handshake is what is measured.
    login.tls = { secureContext: createSecureContext({ ca: fleetCa, key: certificates.keyPem, cert: await certificates.certificateFor(login.id) }) };
    delete login.password;
  }
  console.log(`set-up: ${logins.length} device certificates signed by the bench's CA in ${((performance.now() - started) / 1000).toFixed(1)} s (not measured)`);
  const contexts = logins.slice(0, FLOOR_HANDSHAKES).map((login) => login.tls!.secureContext!);
  return measureHandshakes(contexts, await certificates.certificateFor('tls-floor'), certificates.keyPem, IN_FLIGHT);
}

/** The handshakes alone, devices and server on this machine's cores: what no server work can go below. */
function printFloor(floor: HandshakeCost): void {
  const cores = availableParallelism();
  const cpuS = (DEVICES * (floor.clientMs + floor.serverMs)) / 1000;
  console.log(
    `floor: a bare TLS handshake (Node, no MQTT; ${floor.handshakes} measured before the run, ${IN_FLIGHT} at a time) costs ${floor.clientMs.toFixed(2)} ms CPU at the device and ${floor.serverMs.toFixed(2)} ms at the server: ` +
      `${DEVICES} of them need ${cpuS.toFixed(1)} s of CPU, at least ${(cpuS / cores).toFixed(1)} s on this machine's ${cores} cores, and ${((DEVICES * floor.serverMs) / 1000).toFixed(1)} s on the server's one thread`,
  );
}

/** Online devices, counted through the API's cursor pages. */
async function countOnline(api: (path: string) => Promise<any>): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await api(`/api/v1/devices?status=online&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
