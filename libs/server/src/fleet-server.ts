import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { ApiKeyService } from '@edgefleet/auth';
import { BrokerService } from '@edgefleet/broker';
import { makeDirectory } from '@edgefleet/common';
import { ConfigError, type FleetConfig } from '@edgefleet/config';
import { applyMigrations } from '@edgefleet/database';
import { listenOn } from './listen-on';
import { createLogger } from '@edgefleet/observability';
import { startBroker } from './broker-startup';
import { type ProvisionedDatabase, provisionDatabase } from './database-provisioner';
import { drainHttp } from './http-drain';
import { createHttpApp } from './http-app';
import { assertPortsFree } from './port-check';

export interface ReadyAddresses {
  http: string;
  mqtt?: string;
  ws?: string;
  mqtts?: string;
}

/** Starts and stops the whole service in order: ports checked, database, migrations, API, broker, then the admin token. */
export class FleetServer {
  readonly logger: Logger;
  /** Rejects if the server cannot go on (the embedded Postgres died and could not be restarted). */
  readonly failed: Promise<never>;
  private fail!: (error: Error) => void;
  private database?: ProvisionedDatabase;
  private app?: NestFastifyApplication;

  constructor(private readonly config: FleetConfig) {
    this.logger = createLogger(config.log);
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    this.failed.catch(() => undefined);
  }

  async start(): Promise<ReadyAddresses> {
    await assertPortsFree(this.config);
    try {
      makeDirectory(this.config.dataDir);
    } catch (error) {
      throw new ConfigError('FLEET_DATA_DIR', `cannot create ${this.config.dataDir}: ${(error as Error).message}`);
    }
    const pgLog = this.logger.child({ context: 'postgres' });
    this.database = await provisionDatabase(this.config, (line) => pgLog.debug(line), {
      onEvent: (line) => pgLog.warn(line),
      onFatal: (error) => this.fail(error),
    });
    const applied = await applyMigrations(this.database.url);
    if (applied.length) this.logger.info({ context: 'database', applied }, `applied ${applied.length} migration(s)`);
    this.app = await createHttpApp(this.config, this.database.url, this.logger, [], this.database.process);
    await listenOn('HTTP', this.config.http.host, this.config.http.port, () =>
      this.app!.listen({ host: this.config.http.host, port: this.config.http.port }),
    );
    const http = this.app.getHttpAdapter().getInstance().listeningOrigin;
    const addresses = { http, ...(await this.startConnectivity(this.app)) };
    // Last, so a start that fails never prints a token and then loses it with the key already made.
    const generatedToken = await this.app.get(ApiKeyService).bootstrapAdmin(this.config.adminToken);
    if (generatedToken) {
      process.stdout.write(`EDGEFLEET_ADMIN_TOKEN ${generatedToken}\n`);
      this.logger.warn('generated the first admin API token (printed above, once); store it now');
    }
    return addresses;
  }

  private async startConnectivity(app: NestFastifyApplication): Promise<Awaited<ReturnType<typeof startBroker>>> {
    try {
      return await startBroker(app, this.config);
    } catch (error) {
      if (!this.config.mqtt.brokerUrl || error instanceof ConfigError) throw error;
      throw new ConfigError('BROKER_URL', `cannot connect to the external broker: ${(error as Error).message}`);
    }
  }

  /**
   * Stop accepting HTTP and let requests in flight finish, close the broker (presence written
   * out), flush and close the rest of the app, and only then stop the database. Safe to call twice.
   */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app) await drainHttp(app, this.logger);
    await app?.get(BrokerService).stop();
    await app?.close();
    const database = this.database;
    this.database = undefined;
    await database?.stop();
  }
}
