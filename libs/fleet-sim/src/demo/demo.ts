import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { CredentialsStore } from '../credentials-store';
import { Fleet, INSTANT_DEVICES } from '../fleet';
import { FleetApi, type RolloutView } from '../fleet-api';
import { summary } from '../fleet-report';
import { prepareFleet } from '../fleet-setup';
import { ProcessUsage } from '../process-usage';
import type { DemoOptions } from './demo-options';
import { FINAL_ROLLOUT_STATES, rolloutProgressLine } from './rollout-progress';
import { type ServerAddresses, ServerChild } from './server-child';

export interface DemoOutput {
  /** A line of narration. */
  log(line: string): void;
  /** The live progress line, rewritten in place on a terminal; `done`: its last state, to keep. */
  progress(line: string, done?: boolean): void;
}

export interface DemoSetup extends DemoOptions {
  /** The built fleet server entry point (`dist/apps/fleet-server/src/main.js`). */
  serverMain: string;
  /** The environment the demo was started with; its settings pass through to the server. */
  env: NodeJS.ProcessEnv;
}

export interface DemoResult {
  rollout: RolloutView;
  rolloutSeconds: number;
  addresses: ServerAddresses;
  adminToken: string;
  dataDir: string;
  logFile: string;
}

const DEVICE_TYPE = 'demo-cam';
const FROM_VERSION = '1.0.0';
const TO_VERSION = '2.0.0';
const FIRMWARE_BYTES = 256 * 1024;

/**
 * `npm run demo`: the server as a child process on embedded defaults, a simulated fleet, a
 * demo firmware and a three-wave rollout watched to the end. `stop()` undoes everything
 * `run()` started, whatever point it reached, so Ctrl-C at any moment leaves nothing behind.
 */
export class Demo {
  private server?: ServerChild;
  private fleet?: Fleet;
  private temporaryDir?: string;
  private readonly usage = new ProcessUsage();
  private stopping?: Promise<void>;

  constructor(
    private readonly setup: DemoSetup,
    private readonly out: DemoOutput,
  ) {}

  async run(signal: AbortSignal): Promise<DemoResult> {
    const { env } = this.setup;
    const dataDir = env.FLEET_DATA_DIR ?? (this.temporaryDir = await mkdtemp(join(tmpdir(), 'edgefleet-demo-')));
    await mkdir(join(dataDir, 'demo'), { recursive: true });
    // Run as root, embedded Postgres runs as the `postgres` user, who must be able to enter the folder.
    await chmod(dataDir, 0o755);
    const adminToken = env.FLEET_ADMIN_TOKEN ?? `efk_demo_${randomBytes(16).toString('hex')}`;
    const logFile = join(dataDir, 'demo', 'server.log');

    this.out.log(`starting EdgeFleet: embedded Postgres and MQTT broker, data in ${dataDir}`);
    const started = Date.now();
    this.server = await ServerChild.start(
      this.setup.serverMain,
      {
        ...env,
        FLEET_DATA_DIR: dataDir,
        FLEET_ADMIN_TOKEN: adminToken,
        // Any free port unless set: the demo must not collide with a server already running.
        HTTP_PORT: env.HTTP_PORT ?? '0',
        MQTT_PORT: env.MQTT_PORT ?? '0',
        MQTT_WS_PORT: env.MQTT_WS_PORT ?? '0',
        // Simulated failures are retried after seconds, not the production default of 30 s.
        ROLLOUT_RETRY_BACKOFF_MS: env.ROLLOUT_RETRY_BACKOFF_MS ?? '2000',
        LOG_FORMAT: env.LOG_FORMAT ?? 'json',
      },
      logFile,
    );
    const addresses = this.server.addresses;
    this.out.log(`server ready in ${seconds(started)}: API ${addresses.http}, MQTT ${addresses.mqtt} (log: ${logFile})`);
    signal.throwIfAborted();

    const api = new FleetApi(addresses.http, adminToken, signal);
    const store = new CredentialsStore(join(dataDir, 'demo', 'devices.json'));
    const { logins } = await prepareFleet(api, store, DEVICE_TYPE, this.setup.devices, (line) => this.out.log(line), `data:${dataDir}`);
    signal.throwIfAborted();

    this.fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: addresses.mqtt,
      logins,
      firmware: FROM_VERSION,
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: 250,
      failRate: 0.01,
      latency: { min: 100, max: 800 },
      installTime: { min: 1_000, max: 3_000 },
      rebootTime: { min: 500, max: 1_500 },
    });
    await this.connectFleet(signal);

    const artifact = await this.uploadFirmware(api, dataDir);
    const rollout = await api.createRollout({
      name: `demo: firmware ${TO_VERSION} to ${this.setup.devices} cameras`,
      type: 'firmware',
      artifactId: artifact.id,
      // The devices this run simulates, not every demo device a kept data folder has registered.
      target: { deviceIds: logins.map((login) => login.id) },
      strategy: { waves: [10, 50, 100], maxInFlight: 500, failureThreshold: { percent: 10, minSamples: 20 }, deviceTimeoutSeconds: 120, retries: 2 },
    });
    this.out.log(`rollout ${rollout.id}: waves of 10%, 50% and 100% of the fleet, at most 500 devices at once`);
    const rolloutStarted = Date.now();
    const finished = await this.watch(api, rollout.id, rolloutStarted, signal);
    return { rollout: finished, rolloutSeconds: (Date.now() - rolloutStarted) / 1000, addresses, adminToken, dataDir, logFile };
  }

  /** What happened and where to look, for the end of the run; `live`: the server stays up for the reader. */
  report(result: DemoResult, live: boolean): string {
    const { rollout, addresses, adminToken } = result;
    const counts = rollout.counts ?? {};
    const upgraded = this.fleet?.stats().firmware[TO_VERSION] ?? 0;
    const waves = (rollout.waves ?? []).map((wave) => wave.total).join(' + ');
    const lines: Array<string | null> = [
      `rollout ${rollout.state} in ${result.rolloutSeconds.toFixed(0)} s: ${counts.succeeded ?? 0} of ${rollout.targetCount} devices succeeded ` +
        `(waves ${waves}; failed ${counts.failed ?? 0}, timed out ${counts.timed_out ?? 0})`,
      rollout.reason ? `  ${rollout.reason}` : null,
      `simulated devices now running firmware ${TO_VERSION}: ${upgraded}`,
      '',
      live ? 'Where to look:' : 'Where to look (this demo stops its server now; run it on a terminal without --exit, or `npm start`, to keep one up):',
      `  API docs (OpenAPI)  ${addresses.http}/docs`,
      `  Metrics             ${addresses.http}/metrics`,
      `  Health              ${addresses.http}/health`,
      `  This rollout        curl -H 'Authorization: Bearer ${adminToken}' ${addresses.http}/api/v1/rollouts/${rollout.id}`,
      `  Its devices         curl -H 'Authorization: Bearer ${adminToken}' '${addresses.http}/api/v1/rollouts/${rollout.id}/devices?limit=5'`,
      live || !this.temporaryDir ? `  Server log          ${result.logFile}` : null,
      '',
      this.fleet ? summary(this.fleet.stats(), this.usage) : null,
    ];
    return lines.filter((line) => line !== null).join('\n');
  }

  /** Disconnects the fleet, stops the server (SIGTERM: it stops its embedded Postgres) and removes a temporary data folder. Safe to call at any point, and twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.fleet?.stop();
      const code = await this.server?.stop();
      if (code !== undefined && code !== 0) this.out.log(`the server exited with ${code}; see ${this.server!.logFile}`);
      if (this.temporaryDir && !this.server?.running) await rm(this.temporaryDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  private async connectFleet(signal: AbortSignal): Promise<void> {
    const fleet = this.fleet!;
    const started = Date.now();
    void fleet.start();
    for (;;) {
      const { online, refused, devices } = fleet.stats();
      this.out.progress(`connecting ${online}/${devices} devices${refused ? ` (${refused} refused)` : ''} · ${seconds(started)}`, online === devices);
      if (online === devices) break;
      if (refused > 0) throw new Error(`${refused} devices were refused by the server`);
      if (Date.now() - started > 180_000) throw new Error(`only ${online} of ${devices} devices connected within 180 s`);
      this.assertServerRunning();
      await sleep(250, undefined, { signal });
    }
    this.out.log(`${fleet.devices.length} devices online in ${seconds(started)}, running firmware ${FROM_VERSION}`);
  }

  private async uploadFirmware(api: FleetApi, dataDir: string): Promise<{ id: string }> {
    const file = join(dataDir, 'demo', `demo-firmware-${TO_VERSION}.bin`);
    const header = Buffer.from(`EDGEFLEET DEMO FIRMWARE ${TO_VERSION}\n`);
    await writeFile(file, Buffer.concat([header, randomBytes(FIRMWARE_BYTES - header.length)]));
    // Unique per run, so a kept FLEET_DATA_DIR can run the demo again (name + version is unique).
    const name = `demo-firmware-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
    const artifact = await api.uploadArtifact(file, { name, version: TO_VERSION, deviceTypes: [DEVICE_TYPE] });
    this.out.log(`uploaded ${name} ${TO_VERSION}: ${artifact.size} bytes, sha256 ${artifact.sha256.slice(0, 16)}…, signed by the server's Ed25519 key`);
    return artifact;
  }

  private async watch(api: FleetApi, rolloutId: string, started: number, signal: AbortSignal): Promise<RolloutView> {
    for (;;) {
      const rollout = await api.rollout(rolloutId);
      const done = FINAL_ROLLOUT_STATES.includes(rollout.state);
      this.out.progress(rolloutProgressLine(rollout, (Date.now() - started) / 1000), done);
      if (done) return rollout;
      this.assertServerRunning();
      await sleep(250, undefined, { signal });
    }
  }

  private assertServerRunning(): void {
    if (this.server && !this.server.running) throw new Error(`the server stopped unexpectedly; see ${this.server.logFile}`);
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
