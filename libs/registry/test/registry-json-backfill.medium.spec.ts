import { Client } from 'pg';
import { applyMigrations } from '@edgefleet/database';
import { type TestDatabase, createTestDatabase } from '../../../test/support/test-database';
import { registryJson } from '../src/devices/registry-json';

const MIGRATION = '20261127164858_device_registry_json';

/** Devices registered before `registry_json` existed get it from the migration, as the server writes it. */
describe('registry_json migration (real Postgres)', () => {
  let database: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  it('fills in every existing device', async () => {
    // The database as it was before the migration, with devices in it.
    await client.query(`ALTER TABLE devices DROP COLUMN registry_json`);
    await client.query(`DELETE FROM _prisma_migrations WHERE migration_name = $1`, [MIGRATION]);
    const createdAt = new Date('2026-01-02T03:04:05.006Z');
    const updatedAt = new Date('2026-02-03T04:05:06.070Z');
    const devices: Array<Parameters<typeof registryJson>[0]> = [
      { id: 'old-1', name: 'Lobby "east"', type: 'cam', tags: { site: 'syd', note: 'a:b, é \\ \n' }, createdAt, updatedAt },
      { id: 'old-2', name: null, type: 'gw', tags: {}, createdAt, updatedAt: createdAt },
    ];
    for (const d of devices) {
      await client.query(`INSERT INTO devices (id, name, type, tags, credential_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 'h', $5, $6)`, [
        d.id,
        d.name,
        d.type,
        Object.entries(d.tags).map(([key, value]) => `${key}:${value}`),
        d.createdAt,
        d.updatedAt,
      ]);
    }

    expect(await applyMigrations(database.url)).toEqual([MIGRATION]);

    const { rows } = await client.query<{ id: string; registry_json: string }>(`SELECT id, registry_json FROM devices ORDER BY id`);
    expect(rows.map((row) => [row.id, JSON.parse(row.registry_json)])).toEqual(devices.map((d) => [d.id, JSON.parse(registryJson(d))]));
    const column = await client.query(`SELECT is_nullable FROM information_schema.columns WHERE table_name = 'devices' AND column_name = 'registry_json'`);
    expect(column.rows).toEqual([{ is_nullable: 'NO' }]);
  });
});
