import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import type { ApiRole } from '@edgefleet/contracts';
import { ApiKeyService } from '@edgefleet/auth';
import { type FleetConfig, loadConfig } from '@edgefleet/config';
import { BrokerService } from '@edgefleet/broker';
import { type BrokerAddresses, createHttpApp, startBroker } from '@edgefleet/server';
import { SYSTEM_ACTOR } from '@edgefleet/common';
import type { DeviceLogin } from './mqtt-device';
import { type TestDatabase, createTestDatabase } from './test-database';

export interface TestAppOptions {
  /** Also start the embedded MQTT broker and its listeners (ports default to 0). */
  broker?: boolean;
  /** More modules to run in the app, e.g. a probe controller with device handlers. */
  imports?: NonNullable<DynamicModule['imports']>;
  /** Use this database (e.g. a second app on the same database) instead of a fresh one. */
  database?: TestDatabase;
}

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
    private readonly brokerAddresses?: BrokerAddresses,
    private readonly ownsDatabase = true,
  ) {}

  static async start(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
    const database = options.database ?? (await createTestDatabase());
    const config: FleetConfig = loadConfig({ FLEET_DATA_DIR: '/tmp/edgefleet-test-data', MQTT_PORT: '0', MQTT_WS_PORT: '0', ...env });
    const app = await createHttpApp(config, database.url, pino({ level: 'silent' }), options.imports);
    try {
      await app.init();
    } catch (error) {
      // What started before the failing module (a database listener, timers) must not outlive the test file.
      await app.close().catch(() => undefined);
      if (!options.database) await database.drop();
      throw error;
    }
    await app.getHttpAdapter().getInstance().ready();
    const { token } = await app.get(ApiKeyService).create(SYSTEM_ACTOR, 'test admin', 'admin');
    const broker = options.broker ? await startBroker(app, config) : undefined;
    return new TestApp(app, database, token, broker, !options.database);
  }

  /** The broker's bound URLs (`mqtt://…`, `ws://…/mqtt`, `mqtts://…`); only with `{ broker: true }`. */
  get broker(): BrokerAddresses {
    if (!this.brokerAddresses) throw new Error('start the TestApp with { broker: true }');
    return this.brokerAddresses;
  }

  async tokenFor(role: ApiRole): Promise<string> {
    return (await this.app.get(ApiKeyService).create(SYSTEM_ACTOR, `test ${role}`, role)).token;
  }

  /** Registers a device through the API (201 or it throws) and returns its MQTT login. */
  async registerDevice(id: string, type = 'cam'): Promise<DeviceLogin> {
    const res = await this.request('POST', '/api/v1/devices', { id, type });
    if (res.status !== 201) throw new Error(`registering '${id}': ${res.status} ${JSON.stringify(res.body)}`);
    return { id, password: res.body.credentials.password };
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
    await this.app.get(BrokerService).stop();
    await this.app.close();
    if (this.ownsDatabase) await this.database.drop();
  }
}
