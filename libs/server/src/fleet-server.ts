import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { ApiKeyService } from '@edgefleet/auth';
import { BrokerService } from '@edgefleet/broker';
import { ConfigError, type FleetConfig } from '@edgefleet/config';
import { applyMigrations } from '@edgefleet/database';
import { listenOn } from './listen-on';
import { createLogger } from '@edgefleet/observability';
import { startBroker } from './broker-startup';
import { type ProvisionedDatabase, provisionDatabase } from './database-provisioner';
import { createHttpApp } from './http-app';

export interface ReadyAddresses {
  http: string;
  mqtt?: string;
  ws?: string;
  mqtts?: string;
}

/** Starts and stops the whole service in order: database, migrations, API, broker. */
export class FleetServer {
  readonly logger: Logger;
  private database?: ProvisionedDatabase;
  private app?: NestFastifyApplication;

  constructor(private readonly config: FleetConfig) {
    this.logger = createLogger(config.log);
  }

  async start(): Promise<ReadyAddresses> {
    const pgLog = this.logger.child({ context: 'postgres' });
    this.database = await provisionDatabase(this.config, (line) => pgLog.debug(line));
    const applied = await applyMigrations(this.database.url);
    if (applied.length) this.logger.info({ context: 'database', applied }, `applied ${applied.length} migration(s)`);
    this.app = await createHttpApp(this.config, this.database.url, this.logger);
    const generatedToken = await this.app.get(ApiKeyService).bootstrapAdmin(this.config.adminToken);
    if (generatedToken) {
      process.stdout.write(`EDGEFLEET_ADMIN_TOKEN ${generatedToken}\n`);
      this.logger.warn('generated the first admin API token (printed above, once); store it now');
    }
    await listenOn('HTTP', this.config.http.host, this.config.http.port, () =>
      this.app!.listen({ host: this.config.http.host, port: this.config.http.port }),
    );
    const http = this.app.getHttpAdapter().getInstance().listeningOrigin;
    return { http, ...(await this.startConnectivity(this.app)) };
  }

  private async startConnectivity(app: NestFastifyApplication): Promise<Awaited<ReturnType<typeof startBroker>>> {
    try {
      return await startBroker(app, this.config);
    } catch (error) {
      if (!this.config.mqtt.brokerUrl || error instanceof ConfigError) throw error;
      throw new ConfigError('BROKER_URL', `cannot connect to the external broker: ${(error as Error).message}`);
    }
  }

  /** Stop accepting, close the broker (presence written out), then the API and the database. Safe to call twice. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.get(BrokerService).stop();
    await app?.close();
    const database = this.database;
    this.database = undefined;
    await database?.stop();
  }
}
