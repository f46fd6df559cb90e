import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { Fleet, FleetApi, INSTANT_DEVICES } from '@edgefleet/fleet-sim';
import { scratchDir } from '../../support/scratch-dir';
import { type ReadyInfo, ServerProcess } from '../../support/server-process';

export const ADMIN_TOKEN = 'efk_console-browser-test-admin-0123456789abcdef';

/** Screenshots of each page, light and dark: test output, not committed (.gitignore). */
export const SHOTS = join(__dirname, '..', '..', '..', 'test-output', 'console');

/** The real server process on embedded Postgres, seeded devices, and real simulated devices over MQTT. */
export class ConsoleFixture {
  private constructor(
    readonly server: ServerProcess,
    readonly ready: ReadyInfo,
    readonly api: FleetApi,
    readonly fleet: Fleet,
    readonly viewerToken: string,
  ) {}

  get url(): string {
    return this.ready.http;
  }

  static async start(options: { seeded: number; simulated: number; simulatedType: string }): Promise<ConsoleFixture> {
    mkdirSync(SHOTS, { recursive: true });
    const server = ServerProcess.spawn({ FLEET_DATA_DIR: scratchDir('edgefleet-console-'), FLEET_ADMIN_TOKEN: ADMIN_TOKEN, ROLLOUT_TICK_MS: '100' });
    const ready = await server.ready(120_000);
    const api = new FleetApi(ready.http, ADMIN_TOKEN);
    const seeded = Array.from({ length: options.seeded }, (_, i) => ({
      id: `dev-${String(i).padStart(4, '0')}`,
      type: i % 3 === 0 ? 'gateway' : 'camera',
      tags: { site: i % 2 ? 'syd' : 'mel' },
    }));
    await api.registerDevices(seeded);
    const logins = await api.registerDevices(Array.from({ length: options.simulated }, (_, i) => ({ id: `sim-${i}`, type: options.simulatedType, tags: { fleet: 'sim' } })));
    const fleet = new Fleet({
      ...INSTANT_DEVICES,
      mqttUrl: ready.mqtt!,
      logins,
      firmware: '1.0.0',
      signingKey: loadSigningKey(await api.signingKey()),
      connectRate: 200,
      // Slow enough that a rollout's waves can be watched, paused and resumed.
      latency: { min: 400, max: 700 },
    });
    await fleet.start();
    const viewer = await api.request<{ token: string }>('POST', '/api/v1/api-keys', { name: 'console viewer', role: 'viewer' });
    return new ConsoleFixture(server, ready, api, fleet, viewer.token);
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    await this.server.stop();
  }
}
