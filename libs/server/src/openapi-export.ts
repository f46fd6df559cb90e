import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import pino from 'pino';
import { buildOpenApiDocument } from '@edgefleet/api';
import { loadConfig } from '@edgefleet/config';
import { VERSION, createHttpApp } from './http-app';

/**
 * The OpenAPI document exactly as a server serves it at /docs-json, built without starting
 * anything: Nest creates the controllers, but nothing connects until the app is initialised,
 * so the database URL is never used.
 */
export async function exportOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await createHttpApp(loadConfig({}), 'postgresql://unused@127.0.0.1:1/unused', pino({ level: 'silent' }));
  try {
    return buildOpenApiDocument(app as INestApplication, VERSION);
  } finally {
    await app.close();
  }
}
