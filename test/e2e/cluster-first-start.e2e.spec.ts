import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { Client } from 'pg';
import { Operator } from './support/operator';
import { spawnedServers } from './support/spawned-servers';
import { collect, connectDevice, waitFor } from '../support/mqtt-device';
import type { ReadyInfo, ServerProcess } from '../support/server-process';
import { StandalonePostgres } from '../support/standalone-postgres';

const TOKEN = 'efk_first-start-test-admin-token-01';
const NODES = ['node-1', 'node-2', 'node-3'];
/** Races at first start are a matter of timing: each round starts the three nodes again on a fresh data dir and database. */
const ROUNDS = 3;
const MIGRATIONS = readdirSync(join(__dirname, '..', '..', 'prisma', 'migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/**
 * CONTRACT §8's cluster brought up the way an orchestrator does it: every node spawned at the
 * same moment on an empty FLEET_DATA_DIR and an empty database, none of them first.
 */
describe('cluster nodes started together for the very first time', () => {
  const spawned = spawnedServers('edgefleet-first-start-');
  let postgres: StandalonePostgres;

  beforeAll(async () => {
    postgres = await StandalonePostgres.create();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: all three become ready on one set of keys and one schema, and serve each other's devices`, async () => {
      const databaseUrl = await postgres.createDatabase(`first_start_${round}`);
      const dataDir = spawned.dataDir();
      const servers: ServerProcess[] = NODES.map((nodeId) =>
        spawned.spawn({ DATABASE_URL: databaseUrl, FLEET_DATA_DIR: dataDir, FLEET_NODE_ID: nodeId, FLEET_ADMIN_TOKEN: TOKEN }),
      );
      const ready: ReadyInfo[] = await Promise.all(servers.map((server) => server.ready()));
      const operators = ready.map((r) => new Operator(r.http, TOKEN));
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      const clients: MqttClient[] = [];
      try {
        // Every migration applied once and finished; the admin token registered once.
        const migrations = await db.query('SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at, logs FROM _prisma_migrations ORDER BY migration_name');
        expect(migrations.rows).toEqual(MIGRATIONS.map((name) => ({ migration_name: name, finished: true, rolled_back_at: null, logs: null })));
        const adminKeys = await db.query("SELECT name FROM api_keys WHERE role = 'admin'");
        expect(adminKeys.rows).toEqual([{ name: 'bootstrap admin (FLEET_ADMIN_TOKEN)' }]);

        // One artifact-signing key, one fleet CA: what the data dir holds is what every node uses.
        const signingKeys = await Promise.all(ready.map(async (r) => (await fetch(`${r.http}/api/v1/signing-key`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()));
        expect(signingKeys[0]).toContain('BEGIN PUBLIC KEY');
        expect(new Set(signingKeys).size).toBe(1);
        expect((await db.query('SELECT public_key_pem FROM signing_keys')).rows.map((row) => row.public_key_pem.trim())).toEqual([signingKeys[0].trim()]);
        const cas = await Promise.all(ready.map(async (r) => (await fetch(`${r.http}/api/v1/ca`)).text()));
        expect(cas[0]).toContain('BEGIN CERTIFICATE');
        expect(new Set(cas).size).toBe(1);
        // No half-made key left aside by a node that lost the race to link its own into place.
        expect(readdirSync(join(dataDir, 'keys')).sort()).toEqual(['artifact-signing-key.pem', 'download-url.secret', 'fleet-ca-key.pem', 'fleet-ca.pem']);

        // Each node sees the other two.
        for (const [i, r] of ready.entries()) {
          const health = await waitFor(() => fetch(`${r.http}/health`).then((res) => res.json() as Promise<{ peers: string[] }>), (body) => body.peers.length === 2, 10_000);
          expect([...health.peers].sort()).toEqual(NODES.filter((node) => node !== NODES[i]));
        }

        // A device registered through node 1 signs in at node 2 and at node 3.
        const deviceId = `fs-${round}`;
        const password = (await operators[0].registerDevices([deviceId])).get(deviceId)!;
        const atNode2 = await connectDevice(ready[1].mqtt!, { id: deviceId, password });
        clients.push(atNode2);
        expect(atNode2.connected).toBe(true);
        await atNode2.endAsync();
        const atNode3 = await connectDevice(ready[2].mqtt!, { id: deviceId, password });
        clients.push(atNode3);
        const received = collect(atNode3);
        await atNode3.subscribeAsync(`devices/${deviceId}/jobs/+`);
        await waitFor(() => db.query('SELECT session_node FROM devices WHERE id = $1 AND online', [deviceId]), (r) => r.rows[0]?.session_node === 'node-3');

        // The download URL secret is shared too: the signed URL in its job opens at every node.
        const artifact = await operators[1].uploadFirmware(`${round}.0.0`);
        await operators[1].createRollout({ name: `first start ${round}`, type: 'firmware', artifactId: artifact.id, target: { deviceIds: [deviceId] }, strategy: { waves: [100], maxInFlight: 1, deviceTimeoutSeconds: 300, retries: 0 } });
        const document = await waitFor(
          () => received.find((m) => m.topic !== `devices/${deviceId}/jobs/notify` && m.payload !== ''),
          (m) => m !== undefined,
          5_000,
        );
        const url = new URL(JSON.parse(document!.payload).artifact.url);
        const statuses = await Promise.all(ready.map(async (r) => (await fetch(new URL(url.pathname + url.search, r.http))).status));
        expect(statuses).toEqual([200, 200, 200]);
      } finally {
        await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
        await db.end();
      }
      const codes = await Promise.all(servers.map((server) => server.stop()));
      expect(codes.map((code, i) => (code === 0 ? 0 : `${NODES[i]} exited ${code}: ${servers[i].stderr.slice(-2_000)}`))).toEqual([0, 0, 0]);
      // Nothing logged at error level or above (pino: 50 error, 60 fatal) by any node.
      const errors = servers.flatMap((server) => `${server.stdout}\n${server.stderr}`.split('\n').filter((line) => /"level":(50|60)/.test(line)));
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it('generates one admin token, printed by one node only, when none is configured', async () => {
    const databaseUrl = await postgres.createDatabase('first_start_generated');
    const dataDir = spawned.dataDir();
    const servers = NODES.map((nodeId) => spawned.spawn({ DATABASE_URL: databaseUrl, FLEET_DATA_DIR: dataDir, FLEET_NODE_ID: nodeId }));
    const ready = await Promise.all(servers.map((server) => server.ready()));
    const printed = servers.flatMap((server) => server.stdout.split('\n').filter((line) => line.startsWith('EDGEFLEET_ADMIN_TOKEN ')));
    expect(printed).toHaveLength(1);
    const token = printed[0].slice('EDGEFLEET_ADMIN_TOKEN '.length);
    const statuses = await Promise.all(ready.map(async (r) => (await fetch(`${r.http}/api/v1/api-keys`, { headers: { authorization: `Bearer ${token}` } })).status));
    expect(statuses).toEqual([200, 200, 200]);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      expect((await db.query("SELECT name FROM api_keys WHERE role = 'admin'")).rows).toEqual([{ name: 'bootstrap admin (generated)' }]);
    } finally {
      await db.end();
    }
  }, 120_000);
});
