import { parseArgs } from 'node:util';
import type { FaultShare } from './simulated-faults';
import { type ValueRange, parseRange } from './value-range';

export interface SimOptions {
  /** Operator API, e.g. `http://127.0.0.1:3000`. */
  server: string;
  /** API token with the operator role (registration). */
  token: string;
  /** Broker the devices connect to; default: the API host on port 1883. */
  mqttUrl: string;
  devices: number;
  type: string;
  /** Probability (0–1) that a job fails on a device. */
  failRate: number;
  /** Delay before a device reacts to a job or desired change, ms. */
  latency: ValueRange;
  installTime: ValueRange;
  rebootTime: ValueRange;
  /** Fraction of connected devices that drop offline per minute. */
  churn: number;
  /** How long a churned device stays offline, ms. */
  offlineTime: ValueRange;
  /** New connections per second. */
  connectRate: number;
  /** Firmware the devices start with. */
  firmware: string;
  /** Where registered credentials are kept for the next run. */
  credentialsFile: string;
  /** Use MQTT chunks instead of HTTP for firmware. */
  mqttDownloads: boolean;
  /** Stop after this many seconds (0: until Ctrl-C). */
  durationSeconds: number;
  /** Share of devices reporting `health.app: "crash"` after rebooting into `unhealthyVersion` (health gate demos). */
  unhealthyShare: number;
  unhealthyVersion?: string;
  /** Shares of devices that crash-loop, go dark, or roll themselves back after updating to a version. */
  crashLoop?: FaultShare;
  dark?: FaultShare;
  rollback?: FaultShare;
  /** How devices sign in: password, or their own client certificate over MQTTS. */
  auth: 'password' | 'cert';
  /** Devices provision themselves with this claim credential instead of being registered through the API. */
  claim?: { username: string; password: string };
}

export const SIM_USAGE = `npm run sim -- [options]

  --devices N          devices to run (1 to 20000; default 100)
  --type T             device type (default "sim")
  --server URL         operator API (default $EDGEFLEET_URL or http://127.0.0.1:3000)
  --token TOKEN        operator API token (default $EDGEFLEET_TOKEN)
  --mqtt URL           broker (default $EDGEFLEET_MQTT_URL or mqtt://<server host>:1883)
  --fail-rate P        probability a job fails on a device (default 0)
  --latency MS[-MS]    delay before reacting to a job or desired change (default 0)
  --install-time MS[-MS]  time an install takes (default 1000-3000)
  --reboot-time MS[-MS]   time a reboot takes (default 1000-2000)
  --churn F            fraction of online devices dropping offline per minute (default 0)
  --offline-time MS[-MS]  how long a dropped device stays away (default 5000-30000)
  --connect-rate N     connections per second (default 500)
  --firmware V         firmware version the devices start with (default 1.0.0)
  --credentials FILE   where device credentials are kept and reused (default .data/sim/<host>-<type>.json)
  --mqtt-downloads     fetch firmware over MQTT chunks instead of HTTP
  --duration S         stop after S seconds (default: run until Ctrl-C)
  --unhealthy-share P  share of devices reporting health.app "crash" on --unhealthy-version (default 0;
                       the others report "ok" after every update)
  --unhealthy-version V  the firmware version they are unhealthy on
  --crash-loop-share P --crash-loop-version V
                       share of devices that reconnect again and again (up 1-2 s, down 0.2 s) after
                       updating to V, until another version is installed
  --dark-share P --dark-version V
                       share of devices that go offline for good after updating to V
  --rollback-share P --rollback-version V
                       share of devices that report the version they ran before again 2 s after
                       updating to V (they rolled themselves back)
  --auth password|cert sign in by password (default) or by each device's own certificate over
                       MQTTS (keys and CSRs made here, signed by the fleet CA; needs --mqtt mqtts://…)
  --claim USER:PASS    new devices provision themselves with this claim credential (POST /api/v1/claims)
                       instead of being registered through the API
`;

function number(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name}: expected a number from ${min} to ${max}, got '${text}'`);
  return value;
}

/** Reads the command line (and EDGEFLEET_* environment); throws an Error naming the bad option. */
export function parseSimArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SimOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      devices: { type: 'string', default: '100' },
      type: { type: 'string', default: 'sim' },
      server: { type: 'string', default: env.EDGEFLEET_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string', default: env.EDGEFLEET_TOKEN },
      mqtt: { type: 'string', default: env.EDGEFLEET_MQTT_URL },
      'fail-rate': { type: 'string', default: '0' },
      latency: { type: 'string', default: '0' },
      'install-time': { type: 'string', default: '1000-3000' },
      'reboot-time': { type: 'string', default: '1000-2000' },
      churn: { type: 'string', default: '0' },
      'offline-time': { type: 'string', default: '5000-30000' },
      'connect-rate': { type: 'string', default: '500' },
      firmware: { type: 'string', default: '1.0.0' },
      credentials: { type: 'string' },
      'mqtt-downloads': { type: 'boolean', default: false },
      duration: { type: 'string', default: '0' },
      'unhealthy-share': { type: 'string', default: '0' },
      'unhealthy-version': { type: 'string' },
      'crash-loop-share': { type: 'string', default: '0' },
      'crash-loop-version': { type: 'string' },
      'dark-share': { type: 'string', default: '0' },
      'dark-version': { type: 'string' },
      'rollback-share': { type: 'string', default: '0' },
      'rollback-version': { type: 'string' },
      auth: { type: 'string', default: 'password' },
      claim: { type: 'string' },
    },
  });
  const unhealthyShare = number(values['unhealthy-share']!, '--unhealthy-share', 0, 1);
  if (unhealthyShare > 0 && !values['unhealthy-version']) throw new Error('--unhealthy-share: needs --unhealthy-version (the firmware they are unhealthy on)');
  const fault = (name: 'crash-loop' | 'dark' | 'rollback'): { [k: string]: FaultShare } => {
    const share = number(values[`${name}-share`]!, `--${name}-share`, 0, 1);
    const version = values[`${name}-version`];
    if (share > 0 && !version) throw new Error(`--${name}-share: needs --${name}-version (the firmware they misbehave on)`);
    return share > 0 ? { [name === 'crash-loop' ? 'crashLoop' : name]: { share, version: version! } } : {};
  };
  const auth = values.auth!;
  if (auth !== 'password' && auth !== 'cert') throw new Error(`--auth: expected password or cert, got '${auth}'`);
  const claim = values.claim === undefined ? undefined : parseClaim(values.claim);
  if (!values.token) throw new Error('--token: an operator API token is needed (or set EDGEFLEET_TOKEN)');
  const server = new URL(values.server!).origin;
  const type = values.type!;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(type)) throw new Error(`--type: '${type}' is not a valid device type`);
  return {
    server,
    token: values.token,
    mqttUrl: values.mqtt ?? `mqtt://${new URL(server).hostname}:1883`,
    devices: number(values.devices!, '--devices', 1, 20_000),
    type,
    failRate: number(values['fail-rate']!, '--fail-rate', 0, 1),
    latency: parseRange(values.latency!, '--latency'),
    installTime: parseRange(values['install-time']!, '--install-time'),
    rebootTime: parseRange(values['reboot-time']!, '--reboot-time'),
    churn: number(values.churn!, '--churn', 0, 1),
    offlineTime: parseRange(values['offline-time']!, '--offline-time'),
    connectRate: number(values['connect-rate']!, '--connect-rate', 1, 100_000),
    firmware: values.firmware!,
    credentialsFile: values.credentials ?? `.data/sim/${new URL(server).host.replace(/[^A-Za-z0-9.-]/g, '_')}-${type}.json`,
    mqttDownloads: values['mqtt-downloads']!,
    durationSeconds: number(values.duration!, '--duration', 0, 365 * 86_400),
    unhealthyShare,
    ...(values['unhealthy-version'] ? { unhealthyVersion: values['unhealthy-version'] } : {}),
    ...fault('crash-loop'),
    ...fault('dark'),
    ...fault('rollback'),
    auth,
    claim,
  };
}

function parseClaim(text: string): { username: string; password: string } {
  const colon = text.indexOf(':', 'claim:'.length);
  if (!text.startsWith('claim:') || colon < 0) throw new Error(`--claim: expected claim:<id>:<password> (the claim's credentials joined by ':'), got '${text.slice(0, 20)}…'`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
