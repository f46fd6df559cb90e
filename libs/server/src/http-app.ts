import type { DynamicModule, INestApplication } from '@nestjs/common';
import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { DomainExceptionFilter, createValidationPipe, refuseUnstorableInput, setupOpenApi } from '@edgefleet/api';
import type { FleetConfig } from '@edgefleet/config';
import type { DatabaseProcess } from '@edgefleet/database';
import { MetricsRegistry, PinoNestLogger, instrumentHttp } from '@edgefleet/observability';
import { FleetServerModule } from './fleet-server.module';

export const VERSION = '0.1.0';

/** Builds the Nest application on Fastify: filters, validation, metrics and OpenAPI. Does not listen. */
export async function createHttpApp(
  config: FleetConfig,
  databaseUrl: string,
  logger: Logger,
  extraModules: NonNullable<DynamicModule['imports']> = [],
  databaseProcess?: DatabaseProcess,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.http.bodyLimitBytes, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(FleetServerModule.forRoot(config, databaseUrl, extraModules, databaseProcess), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // JSON bodies are parsed by refuseUnstorableInput's parser, not Nest's.
    bodyParser: false,
  });
  // Streaming multipart for artifact uploads; each route sets its own size limits.
  await app.register(fastifyMultipart);
  // JSON bodies, merge patches too (RFC 7396, twin desired state), refused with a 400 when unstorable.
  refuseUnstorableInput(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new DomainExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  instrumentHttp(app.getHttpAdapter().getInstance(), app.get(MetricsRegistry));
  setupOpenApi(app as INestApplication, VERSION);
  return app;
}
