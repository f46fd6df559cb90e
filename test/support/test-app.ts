import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import type { ApiRole } from '@edgefleet/contracts';
import { ApiKeyService } from '@edgefleet/auth';
import { type FleetConfig, loadConfig } from '@edgefleet/config';
import { createHttpApp } from '@edgefleet/server';
import { SYSTEM_ACTOR } from '@edgefleet/common';
import { type TestDatabase, createTestDatabase } from './test-database';

export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** The real Nest app on a fresh real database, driven through Fastify's in-process inject (no socket). */
export class TestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly database: TestDatabase,
    readonly adminToken: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TestApp> {
    const database = await createTestDatabase();
    const config: FleetConfig = loadConfig({ FLEET_DATA_DIR: '/tmp/edgefleet-test-data', ...env });
    const app = await createHttpApp(config, database.url, pino({ level: 'silent' }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const { token } = await app.get(ApiKeyService).create(SYSTEM_ACTOR, 'test admin', 'admin');
    return new TestApp(app, database, token);
  }

  async tokenFor(role: ApiRole): Promise<string> {
    return (await this.app.get(ApiKeyService).create(SYSTEM_ACTOR, `test ${role}`, role)).token;
  }

  async request<T = any>(method: string, url: string, body?: unknown, token: string | null = this.adminToken): Promise<TestResponse<T>> {
    const response = await this.app.getHttpAdapter().getInstance().inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const text = response.body;
    const isJson = String(response.headers['content-type'] ?? '').includes('json');
    return { status: response.statusCode, body: isJson && text ? JSON.parse(text) : text, headers: response.headers };
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.database.drop();
  }
}
