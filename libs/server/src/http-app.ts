import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { DomainExceptionFilter, createValidationPipe, setupOpenApi } from '@edgefleet/api';
import type { FleetConfig } from '@edgefleet/config';
import { MetricsRegistry, PinoNestLogger, instrumentHttp } from '@edgefleet/observability';
import { FleetServerModule } from './fleet-server.module';

export const VERSION = '0.1.0';

/** Builds the Nest application on Fastify: filters, validation, metrics and OpenAPI. Does not listen. */
export async function createHttpApp(config: FleetConfig, databaseUrl: string, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.http.bodyLimitBytes, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(FleetServerModule.forRoot(config, databaseUrl), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  app.useGlobalFilters(new DomainExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  instrumentHttp(app.getHttpAdapter().getInstance(), app.get(MetricsRegistry));
  setupOpenApi(app as INestApplication, VERSION);
  return app;
}
