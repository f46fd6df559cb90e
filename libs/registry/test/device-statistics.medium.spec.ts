import { Client } from 'pg';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';

describe('planner statistics after a bulk import (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.stop());

  const lastAnalyze = async (): Promise<Date | null> => {
    const client = new Client({ connectionString: t.database.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'devices'`);
      return rows[0]?.last_analyze ?? null;
    } finally {
      await client.end();
    }
  };

  it('analyzes the devices table once a batch of 1,000 or more has been registered, not after small ones', async () => {
    const small = Array.from({ length: 10 }, (_, i) => ({ id: `small-${i}`, type: 'cam' }));
    expect((await t.request('POST', '/api/v1/devices/batch', { devices: small })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await lastAnalyze()).toBeNull();

    const bulk = Array.from({ length: 1_000 }, (_, i) => ({ id: `bulk-${String(i).padStart(4, '0')}`, type: 'cam' }));
    expect((await t.request('POST', '/api/v1/devices/batch', { devices: bulk })).status).toBe(201);
    await waitFor(lastAnalyze, (at) => at !== null, 10_000);
  });
});
