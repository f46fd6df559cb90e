import { openFilesLimit } from '@edgefleet/common';
import { loadSigningKey } from '@edgefleet/device-sdk';
import {
  CredentialsStore,
  Fleet,
  FleetApi,
  ProcessUsage,
  type DeviceLogin,
  enrollCertificates,
  provisionFleetByClaim,
  SIM_USAGE,
  type SimOptions,
  parseSimArgs,
  prepareFleet,
  progressLine,
  summary,
} from '@edgefleet/fleet-sim';

const log = (line: string) => process.stderr.write(`${line}\n`);
/** File descriptors the simulator holds beyond its devices' sockets (stdio, epoll, HTTP, /proc reads). */
const SIM_FD_HEADROOM = 64;

/** Devices registered through the API (kept for the next run) or provisioned by claim, with certificates for `--auth cert`. */
async function deviceLogins(api: FleetApi, options: SimOptions, ca: string | undefined): Promise<DeviceLogin[]> {
  const started = Date.now();
  if (options.claim) {
    const logins = await provisionFleetByClaim({ ...options, claim: options.claim, count: options.devices, withCertificate: options.auth === 'cert', ca });
    log(`${logins.length} devices provisioned themselves by claim in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return logins;
  }
  const store = new CredentialsStore(options.credentialsFile);
  const setup = await prepareFleet(api, store, options.type, options.devices, log);
  if (options.auth === 'cert') {
    const enrolled = await enrollCertificates(api, setup.logins);
    if (enrolled) {
      log(`${enrolled} device certificates signed by the fleet CA in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await store.save(api.baseUrl, options.type, setup.logins);
    }
  }
  // Certificates kept from an earlier `--auth cert` run are not used for password sign-in.
  return options.auth === 'cert' ? setup.logins : setup.logins.map(({ certificate: _unused, ...login }) => login);
}

async function main(): Promise<void> {
  let options: SimOptions;
  try {
    options = parseSimArgs(process.argv.slice(2));
  } catch (error) {
    log(`device-sim: ${(error as Error).message}\n\n${SIM_USAGE}`);
    process.exit(2);
  }
  const usage = new ProcessUsage();
  // One socket per device: past the descriptor limit the last devices get EMFILE (and a server on
  // the same host, with the same limit, resets the connections it cannot accept) and retry forever.
  const fdLimit = openFilesLimit();
  if (fdLimit !== undefined && options.devices + SIM_FD_HEADROOM > fdLimit)
    log(
      `device-sim: warning: ${options.devices} devices need about ${options.devices + SIM_FD_HEADROOM} file descriptors but the limit is ${fdLimit} ` +
        `(ulimit -n); about ${Math.max(0, options.devices + SIM_FD_HEADROOM - fdLimit)} devices will not get a connection. The server needs as many.`,
    );
  const api = new FleetApi(options.server, options.token);
  const ca = options.auth === 'cert' || options.mqttUrl.startsWith('mqtts:') ? await api.fleetCa() : undefined;
  const logins = await deviceLogins(api, options, ca);
  const fleet = new Fleet({ ...options, logins, ca, signingKey: loadSigningKey(await api.signingKey()) });
  const startedAt = Date.now();
  const interactive = process.stderr.isTTY;
  let ticks = 0;
  const progress = setInterval(() => {
    const line = progressLine(fleet.stats(), usage, (Date.now() - startedAt) / 1000);
    if (interactive) process.stderr.write(`\r\x1b[2K${line}`);
    else if (ticks++ % 5 === 0) log(line);
  }, 1_000);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    if (interactive) process.stderr.write('\n');
    log(`${why}: disconnecting ${options.devices} devices`);
    const atTheEnd = fleet.stats();
    await fleet.stop();
    process.stdout.write(`${summary(atTheEnd, usage)}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  log(`connecting ${options.devices} ${options.type} devices to ${options.mqttUrl} at ${options.connectRate}/s (Ctrl-C stops)`);
  await fleet.start();
  if (options.durationSeconds > 0) setTimeout(() => void stop(`${options.durationSeconds} s elapsed`), options.durationSeconds * 1000);
}

main().catch((error: Error) => {
  log(`device-sim: ${error.message}`);
  process.exit(1);
});
