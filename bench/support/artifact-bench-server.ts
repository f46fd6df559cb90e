import 'reflect-metadata';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { ArtifactAccess } from '@edgefleet/artifacts';
import { ApiKeyService } from '@edgefleet/auth';
import { BrokerService } from '@edgefleet/broker';
import { loadConfig } from '@edgefleet/config';
import { applyMigrations } from '@edgefleet/database';
import { createLogger } from '@edgefleet/observability';
import { createHttpApp, provisionDatabase, startBroker } from '@edgefleet/server';

/**
 * The fleet server started the way FleetServer does, plus a fetch policy that lets every
 * device fetch every artifact over MQTT: `bench:download` measures delivery, not the
 * rollout bookkeeping that normally decides who may fetch.
 */
@Injectable()
class AllowEveryFetch implements OnModuleInit {
  constructor(private readonly access: ArtifactAccess) {}
  onModuleInit(): void {
    this.access.registerFetchPolicy(async () => true);
  }
}

@Module({ providers: [AllowEveryFetch] })
class AllowEveryFetchModule {}

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await provisionDatabase(config, () => undefined);
  await applyMigrations(database.url);
  const app = await createHttpApp(config, database.url, createLogger(config.log), [AllowEveryFetchModule]);
  await app.get(ApiKeyService).bootstrapAdmin(config.adminToken);
  await app.listen({ host: config.http.host, port: config.http.port });
  const http = app.getHttpAdapter().getInstance().listeningOrigin;
  const broker = await startBroker(app, config);
  process.stdout.write(`EDGEFLEET_READY ${JSON.stringify({ http, ...broker })}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await app.get(BrokerService).stop();
      await app.close();
      await database.stop();
      process.exit(0);
    })();
  });
}

void main();
