import { rmSync } from 'node:fs';
import { findFreePort } from '@edgefleet/common';
import { waitFor } from '../../support/mqtt-device';
import { scratchDir } from '../../support/scratch-dir';
import { ServerProcess } from '../../support/server-process';
import { type TestDatabase, createTestDatabase } from '../../support/test-database';
import { FleetDevice, type FleetDeviceOptions } from './fleet-device';
import type { Operator } from './operator';

/** One database and data directory; server processes started on it one after another on the same ports. */
export class Harness {
  private readonly servers: ServerProcess[] = [];
  private readonly devices: FleetDevice[] = [];

  private constructor(
    readonly database: TestDatabase,
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async create(token: string): Promise<Harness> {
    const database = await createTestDatabase();
    const dataDir = scratchDir('edgefleet-e2e-restart-');
    // Fixed ports: after the restart the devices reconnect to the address they know.
    return new Harness(database, dataDir, {
      DATABASE_URL: database.url,
      FLEET_DATA_DIR: dataDir,
      FLEET_ADMIN_TOKEN: token,
      HTTP_PORT: String(await findFreePort()),
      MQTT_PORT: String(await findFreePort()),
      ROLLOUT_TICK_MS: '100',
    });
  }

  async start(): Promise<{ http: string; mqtt: string }> {
    const server = ServerProcess.spawn(this.env);
    this.servers.push(server);
    const ready = await server.ready();
    return { http: ready.http, mqtt: ready.mqtt! };
  }

  /** SIGKILL of the running server: no shutdown hook runs, nothing is flushed. */
  async kill(): Promise<void> {
    const server = this.servers[this.servers.length - 1];
    expect(await server.stop('SIGKILL')).toBeNull();
    expect(server.child.signalCode).toBe('SIGKILL');
  }

  async connectDevices(operator: Operator, ids: string[], url: string, options: FleetDeviceOptions | ((index: number) => FleetDeviceOptions)): Promise<FleetDevice[]> {
    const passwords = await operator.registerDevices(ids);
    const devices = await Promise.all(ids.map((id, i) => new FleetDevice(id, passwords.get(id)!, typeof options === 'function' ? options(i) : options).connect(url)));
    this.devices.push(...devices);
    await waitFor(() => operator.onlineIds(), (online) => ids.every((id) => online.includes(id)), 10_000);
    return devices;
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.close().catch(() => undefined)));
    await Promise.all(this.servers.map((server) => server.stop('SIGKILL')));
    await this.database.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

