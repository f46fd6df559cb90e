import { createHash, createPublicKey, verify } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import type { MqttClient } from 'mqtt';
import { Client } from 'pg';
import { FleetDevice } from './support/fleet-device';
import { Operator } from './support/operator';
import { ReportingDevice } from './support/reporting-device';
import { HaproxyProcess } from '../support/haproxy';
import { closed, collect, connectDevice, waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { type ReadyInfo, ServerProcess } from '../support/server-process';
import { StandalonePostgres } from '../support/standalone-postgres';

const TOKEN = 'efk_cluster-test-admin-token-0001';
const NODES = ['node-1', 'node-2', 'node-3'];
const DEVICES = 30;
/** Each node's FLEET_DRAIN_MS: a SIGTERM spreads its session closes over this window. */
const DRAIN_MS = 2_000;
/** Each node's FLEET_SESSION_SWEEP_MS: how late a session whose revoke or takeover signal was lost is closed. */
const SWEEP_MS = 1_000;

/**
 * Three server processes on one Postgres and one shared FLEET_DATA_DIR, with Debian's haproxy
 * in front using deploy/haproxy/haproxy.cfg: the cluster as CONTRACT §8 describes it.
 */
describe('cluster of three nodes behind HAProxy', () => {
  let postgres: StandalonePostgres;
  let databaseUrl: string;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  const ready: ReadyInfo[] = [];
  let lb: HaproxyProcess;
  let db: Client;
  const clients: MqttClient[] = [];
  const fleet: FleetDevice[] = [];
  const killed = new Set<number>();
  let passwords: Map<string, string>;
  const operatorOf = (node: number) => new Operator(ready[node].http, TOKEN);

  const spawnNode = (nodeId: string) =>
    ServerProcess.spawn({ DATABASE_URL: databaseUrl, FLEET_DATA_DIR: dataDir, FLEET_NODE_ID: nodeId, FLEET_ADMIN_TOKEN: TOKEN, FLEET_DRAIN_MS: String(DRAIN_MS), FLEET_SESSION_SWEEP_MS: String(SWEEP_MS) });
  const holderOf = async (deviceId: string): Promise<{ node: string | null; online: boolean }> => {
    const { rows } = await db.query('SELECT session_node, online FROM devices WHERE id = $1', [deviceId]);
    return { node: rows[0]?.session_node ?? null, online: rows[0]?.online ?? false };
  };
  const deviceHeldBy = async (node: string): Promise<string> => {
    const { rows } = await db.query("SELECT id FROM devices WHERE online AND session_node = $1 AND id LIKE 'lb-%' ORDER BY id LIMIT 1", [node]);
    if (!rows[0]) throw new Error(`no device online at ${node}`);
    return rows[0].id;
  };
  const track = (client: MqttClient) => (clients.push(client), client);

  beforeAll(async () => {
    postgres = await StandalonePostgres.create();
    databaseUrl = await postgres.createDatabase('cluster');
    dataDir = scratchDir('edgefleet-cluster-');
    // The first node applies the migrations and makes the keys in the shared data dir; the others join it.
    servers.push(spawnNode(NODES[0]));
    ready.push(await servers[0].ready());
    servers.push(spawnNode(NODES[1]), spawnNode(NODES[2]));
    ready.push(...(await Promise.all([servers[1].ready(), servers[2].ready()])));
    lb = await HaproxyProcess.start(ready.map((r) => ({ mqtt: r.mqtt!, ws: r.ws!, http: r.http })));
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    passwords = await operatorOf(0).registerDevices(Array.from({ length: DEVICES }, (_, i) => `lb-${String(i).padStart(2, '0')}`));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await Promise.all(fleet.map((device) => device.close().catch(() => undefined)));
    await db?.end();
    await lb?.stop();
    const codes = await Promise.all(servers.map((server) => server.stop()));
    await postgres?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // A node the last test killed has no exit code; every other one shut down cleanly.
    expect(codes.map((code, i) => (code === 0 || killed.has(i) ? 0 : `${NODES[i]} exited ${code}: ${servers[i].stderr.slice(-2_000)}`))).toEqual([0, 0, 0]);
  });

  it('shows each node and its live peers in /health, through the load balancer too', async () => {
    for (const [i, r] of ready.entries()) {
      const health = await waitFor(
        () => fetch(`${r.http}/health`).then((res) => res.json() as Promise<{ node: string; peers: string[] }>),
        (body) => body.peers.length === 2,
        10_000,
      );
      expect(health.node).toBe(NODES[i]);
      expect([...health.peers].sort()).toEqual(NODES.filter((node) => node !== NODES[i]));
    }
    const viaLb = (await (await fetch(`${lb.httpUrl}/health`)).json()) as { node: string };
    expect(NODES).toContain(viaLb.node);
  });

  it('spreads devices connecting through the load balancer over all three nodes, each recorded online where it is held', async () => {
    for (const [id, password] of passwords) track(await connectDevice(lb.mqttUrl, { id, password }));
    const { rows } = await waitFor(
      () => db.query<{ session_node: string; n: string }>("SELECT session_node, count(*) AS n FROM devices WHERE online AND id LIKE 'lb-%' GROUP BY session_node ORDER BY session_node"),
      (result) => result.rows.reduce((sum, row) => sum + Number(row.n), 0) === DEVICES,
      10_000,
    );
    expect(rows.map((row) => row.session_node)).toEqual(NODES);
    const listed = await operatorOf(1).request('GET', '/api/v1/devices?status=online&q=lb-&limit=100');
    expect(listed.body.items).toHaveLength(DEVICES);
  });

  it('delivers a desired-state PATCH sent to node 1 to a device held by node 3 within a second', async () => {
    const deviceId = await deviceHeldBy('node-3');
    const client = track(await connectDevice(ready[2].mqtt!, { id: deviceId, password: passwords.get(deviceId)! }));
    const received = collect(client);
    await client.subscribeAsync(`devices/${deviceId}/state/#`);
    const sentAt = Date.now();
    const patched = await operatorOf(0).request('PATCH', `/api/v1/devices/${deviceId}/twin/desired`, { led: 'blue' });
    expect(patched.status).toBe(200);
    const desired = await waitFor(
      () => received.filter((m) => m.topic === `devices/${deviceId}/state/desired`).map((m) => JSON.parse(m.payload)),
      (messages) => messages.some((m) => m.state?.led === 'blue'),
      1_000,
    );
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(desired.at(-1)).toEqual({ version: patched.body.desiredVersion, state: { led: 'blue' } });
    expect(received.some((m) => m.topic === `devices/${deviceId}/state/delta` && JSON.parse(m.payload).delta?.led === 'blue')).toBe(true);
  });

  it('closes a session held by node 1 within a second of a decommission sent to node 2', async () => {
    const deviceId = await deviceHeldBy('node-1');
    const client = track(await connectDevice(ready[0].mqtt!, { id: deviceId, password: passwords.get(deviceId)! }));
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-1' && holder.online);
    const gone = closed(client);
    const sentAt = Date.now();
    expect((await operatorOf(1).request('DELETE', `/api/v1/devices/${deviceId}`)).status).toBe(204);
    await gone;
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    // The credential no longer opens a session on any node.
    await expect(connectDevice(lb.mqttUrl, { id: deviceId, password: passwords.get(deviceId)! })).rejects.toThrow();
  });

  it('lets a second CONNECT on node 3 take over the session held by node 1, and the device stays online at node 3', async () => {
    const { rows } = await db.query("SELECT id FROM devices WHERE id LIKE 'lb-%' AND online AND session_node = 'node-2' ORDER BY id DESC LIMIT 1");
    const deviceId: string = rows[0].id;
    const login = { id: deviceId, password: passwords.get(deviceId)! };
    const first = track(await connectDevice(ready[0].mqtt!, login));
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-1' && holder.online);
    const firstClosed = closed(first);
    const sentAt = Date.now();
    const second = track(await connectDevice(ready[2].mqtt!, login));
    await firstClosed;
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(second.connected).toBe(true);
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-3' && holder.online);
    // Node 1's disconnect of the first session is written within its presence flush (~200 ms): still online at node 3 after it.
    const watchedUntil = Date.now() + 1_000;
    await waitFor(
      async () => ({ holder: await holderOf(deviceId), done: Date.now() > watchedUntil }),
      ({ holder, done }) => {
        if (holder.node !== 'node-3' || !holder.online) throw new Error(`device lost its session at node 3: ${JSON.stringify(holder)}`);
        return done;
      },
      3_000,
    );
  });

  it('closes sessions whose revoke or takeover signal never arrived: the session sweep finds them in the database', async () => {
    const ids = ['sw-gone', 'sw-rotated', 'sw-taken', 'sw-kept'];
    const swPasswords = await operatorOf(0).registerDevices(ids);
    const sessions = new Map<string, MqttClient>();
    for (const id of ids) sessions.set(id, track(await connectDevice(ready[0].mqtt!, { id, password: swPasswords.get(id)! })));
    await waitFor(() => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND session_node = 'node-1' AND id LIKE 'sw-%'"), (r) => r.rows[0].n === ids.length);
    const staleBefore = await operatorOf(0).metric('edgefleet_mqtt_connections_closed_total{reason="stale-session"}');
    // Written straight to the database, as if the REST call's signal had been lost on the way.
    await db.query("DELETE FROM devices WHERE id = 'sw-gone'");
    await db.query("UPDATE devices SET credential_hash = 'rotated elsewhere' WHERE id = 'sw-rotated'");
    await db.query("UPDATE devices SET session_node = 'node-2', session_at = now() + interval '1 second' WHERE id = 'sw-taken'");
    // Within two sweeps (one may have read the rows just before the writes).
    await waitFor(() => ids.slice(0, 3).filter((id) => sessions.get(id)!.connected), (open) => open.length === 0, 2 * SWEEP_MS + 1_000);
    expect(sessions.get('sw-kept')!.connected).toBe(true);
    expect(await operatorOf(0).metric('edgefleet_mqtt_connections_closed_total{reason="stale-session"}')).toBe(staleBefore + 3);
    // The node forgot the credential it had cached: the old password opens no session there.
    await expect(connectDevice(ready[0].mqtt!, { id: 'sw-rotated', password: swPasswords.get('sw-rotated')! })).rejects.toThrow();
  });

  it('re-reads what it missed while its signal connection was down: a desired state sent meanwhile reaches the device', async () => {
    const deviceId = 'rs-0';
    const password = (await operatorOf(0).registerDevices([deviceId])).get(deviceId)!;
    const client = track(await connectDevice(ready[2].mqtt!, { id: deviceId, password }));
    const received = collect(client);
    await client.subscribeAsync(`devices/${deviceId}/state/desired`);
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-3' && holder.online);
    const listener = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'edgefleet-signals node-3'";
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'edgefleet-signals node-3'");
    await waitFor(() => db.query(listener), (r) => r.rows[0].n === 0, 2_000);
    // Node 3 is not listening: this PATCH's wake-up is lost to it.
    const patched = await operatorOf(0).request('PATCH', `/api/v1/devices/${deviceId}/twin/desired`, { mode: 'missed' });
    expect(patched.status).toBe(200);
    await waitFor(() => db.query(listener), (r) => r.rows[0].n === 1, 10_000);
    const desired = await waitFor(
      () => received.filter((m) => m.topic === `devices/${deviceId}/state/desired`).map((m) => JSON.parse(m.payload)),
      (messages) => messages.some((m) => m.state?.mode === 'missed'),
      2_000,
    );
    expect(desired.at(-1)).toEqual({ version: patched.body.desiredVersion, state: { mode: 'missed' } });
  });

  it('survives sockets reset before their first bytes, as a load balancer\'s TCP health check does', async () => {
    const { hostname, port } = new URL(ready[0].mqtt!);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        new Promise<void>((resolve, reject) => {
          const socket = connectTcp(Number(port), hostname, () => (socket.resetAndDestroy(), resolve()));
          socket.once('error', reject);
        }),
      ),
    );
    const deviceId = 'lb-29';
    const client = track(await connectDevice(ready[0].mqtt!, { id: deviceId, password: passwords.get(deviceId)! }));
    expect(client.connected).toBe(true);
    expect((await fetch(`${ready[0].http}/health`)).status).toBe(200);
    expect(servers[0].child.exitCode).toBeNull();
  });

  it('completes a rollout over devices spread across the nodes, each job dispatched once', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `ro-${String(i).padStart(2, '0')}`);
    const rolloutPasswords = await operatorOf(2).registerDevices(ids);
    fleet.push(...(await Promise.all(ids.map((id) => new FleetDevice(id, rolloutPasswords.get(id)!, { stepMs: 20 }).connect(lb.mqttUrl)))));
    await waitFor(() => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'ro-%'"), (r) => r.rows[0].n === ids.length, 10_000);
    const { rows } = await db.query("SELECT DISTINCT session_node FROM devices WHERE id LIKE 'ro-%'");
    expect(rows.length).toBeGreaterThan(1);
    const operators = [0, 1, 2].map(operatorOf);
    const dispatchedBefore = (await Promise.all(operators.map((o) => o.metric('edgefleet_rollout_jobs_dispatched_total')))).reduce((a, b) => a + b, 0);
    const artifact = await operators[0].uploadFirmware('5.0.0');
    const rollout = await operators[1].createRollout({
      name: 'three nodes',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [25, 50, 100], maxInFlight: 8, deviceTimeoutSeconds: 120, retries: 0 },
    });
    const done = await operators[2].waitForRollout(rollout.id, (r) => r.state !== 'running', 60_000);
    expect(done).toMatchObject({ state: 'completed', targetCount: ids.length });
    const jobs = await operators[0].rolloutDevices(rollout.id);
    expect(jobs.map((job) => [job.deviceId, job.status, job.attempts])).toEqual(ids.map((id) => [id, 'succeeded', 1]));
    for (const device of fleet) {
      expect({ id: device.id, documents: device.documents.length, firmware: device.firmware }).toEqual({ id: device.id, documents: 1, firmware: '5.0.0' });
    }
    const dispatched = await Promise.all(operators.map((o) => o.metric('edgefleet_rollout_jobs_dispatched_total')));
    expect(dispatched.reduce((a, b) => a + b, 0) - dispatchedBefore).toBe(ids.length);
  }, 90_000);

  it('sends a job dispatched through node 1 to a device at node 3, and clears it there when node 2 cancels the rollout', async () => {
    const deviceId = 'wd-0';
    const password = (await operatorOf(0).registerDevices([deviceId])).get(deviceId)!;
    const client = track(await connectDevice(ready[2].mqtt!, { id: deviceId, password }));
    const received = collect(client);
    await client.subscribeAsync(`devices/${deviceId}/jobs/+`);
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-3' && holder.online);
    const artifact = await operatorOf(0).uploadFirmware('7.0.0');
    const rollout = await operatorOf(0).createRollout({ name: 'withdrawn', type: 'firmware', artifactId: artifact.id, target: { deviceIds: [deviceId] }, strategy: { waves: [100], maxInFlight: 1, deviceTimeoutSeconds: 300, retries: 0 } });
    const documentMessage = await waitFor(
      () => received.find((m) => m.topic !== `devices/${deviceId}/jobs/notify` && m.payload !== ''),
      (m) => m !== undefined,
      5_000,
    );
    const documentTopic = documentMessage!.topic;
    expect(JSON.parse(documentMessage!.payload)).toMatchObject({ type: 'firmware', rolloutId: rollout.id });
    expect((await operatorOf(1).request('POST', `/api/v1/rollouts/${rollout.id}/cancel`)).status).toBe(200);
    await waitFor(() => received.filter((m) => m.topic === documentTopic && m.payload === '').length, (n) => n === 1, 2_000);
    await waitFor(() => received.filter((m) => m.topic === `devices/${deviceId}/jobs/notify`).at(-1)?.payload, (payload) => payload === '{"jobs":[]}', 2_000);
    // Subscribing again finds no retained document at node 3, only the empty notify list.
    await client.unsubscribeAsync(`devices/${deviceId}/jobs/+`);
    received.length = 0;
    await client.subscribeAsync(`devices/${deviceId}/jobs/+`);
    await waitFor(() => received.length, (n) => n >= 1, 2_000);
    expect(received).toEqual([{ topic: `devices/${deviceId}/jobs/notify`, payload: '{"jobs":[]}' }]);
  });

  it('serves an artifact uploaded through node 1 from every node: the signed URL with Range at node 2, MQTT chunks at node 3, one signing key', async () => {
    const deviceId = 'ar-0';
    const password = (await operatorOf(0).registerDevices([deviceId])).get(deviceId)!;
    const client = track(await connectDevice(ready[2].mqtt!, { id: deviceId, password }));
    const chunks: Buffer[] = [];
    const documents: string[] = [];
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/data')) chunks.push(payload);
      else if (topic !== `devices/${deviceId}/jobs/notify` && payload.length > 0) documents.push(payload.toString());
    });
    await client.subscribeAsync([`devices/${deviceId}/jobs/+`, `devices/${deviceId}/artifacts/+/data`]);
    await waitFor(() => holderOf(deviceId), (holder) => holder.node === 'node-3' && holder.online);

    const uploaded = await operatorOf(0).uploadFirmware('8.0.0');
    const artifact = (await operatorOf(0).request('GET', `/api/v1/artifacts/${uploaded.id}`)).body;
    const whole = await fetch(`${ready[1].http}/api/v1/artifacts/${artifact.id}/download`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);

    // Every node publishes the one key from the shared data dir, and a signature made by node 1 verifies with it.
    const keys = await Promise.all(ready.map(async (r) => (await fetch(`${r.http}/api/v1/signing-key`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()));
    expect(new Set(keys).size).toBe(1);
    const signed = `edgefleet-artifact-v1\n${artifact.id}\n${artifact.version}\n${artifact.sha256}\n${artifact.size}`;
    expect(verify(null, Buffer.from(signed), createPublicKey(keys[2]), Buffer.from(artifact.signature, 'base64'))).toBe(true);

    await operatorOf(0).createRollout({ name: 'shared blobs', type: 'firmware', artifactId: artifact.id, target: { deviceIds: [deviceId] }, strategy: { waves: [100], maxInFlight: 1, deviceTimeoutSeconds: 300, retries: 0 } });
    await waitFor(() => documents.length, (n) => n === 1, 5_000);
    const job = JSON.parse(documents[0]);
    expect(job.artifact).toMatchObject({ id: artifact.id, sha256: artifact.sha256, signature: artifact.signature });
    // The URL names the node that made it; its token is honoured by any node.
    const url = new URL(job.artifact.url);
    const ranged = await fetch(new URL(url.pathname + url.search, ready[1].http), { headers: { range: 'bytes=100-1123' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 1124))).toBe(true);

    await client.publishAsync(`devices/${deviceId}/artifacts/${artifact.id}/get`, JSON.stringify({ offset: 1000, length: 500 }), { qos: 1 });
    await waitFor(() => chunks.length, (n) => n === 1, 5_000);
    expect(chunks[0].readBigUInt64BE(0)).toBe(1000n);
    expect(chunks[0].subarray(8).equals(bytes.subarray(1000, 1500))).toBe(true);
  });

  it('carries on when a node is killed mid-rollout: its devices are online again at the others and the rollout completes', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `ko-${String(i).padStart(2, '0')}`);
    const koPasswords = await operatorOf(0).registerDevices(ids);
    const devices = await Promise.all(ids.map((id) => new FleetDevice(id, koPasswords.get(id)!, { stepMs: 150 }).connect(lb.mqttUrl)));
    fleet.push(...devices);
    await waitFor(() => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'ko-%'"), (r) => r.rows[0].n === ids.length, 10_000);
    const atNode3 = (await db.query("SELECT id FROM devices WHERE id LIKE 'ko-%' AND session_node = 'node-3'")).rows.map((row) => row.id as string);
    expect(atNode3.length).toBeGreaterThan(0);
    // Devices reporting at QoS 1 as fast as they are acknowledged, some of them at node 3.
    const reporterIds = Array.from({ length: 6 }, (_, i) => `qr-${i}`);
    const reporterPasswords = await operatorOf(0).registerDevices(reporterIds);
    const reporters = await Promise.all(reporterIds.map((id) => ReportingDevice.connect(lb.mqttUrl, id, reporterPasswords.get(id)!)));
    reporters.forEach((reporter) => reporter.start());
    await waitFor(() => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'qr-%'"), (r) => r.rows[0].n === reporterIds.length, 10_000);
    expect((await db.query("SELECT count(*)::int AS n FROM devices WHERE id LIKE 'qr-%' AND session_node = 'node-3'")).rows[0].n).toBeGreaterThan(0);
    const artifact = await operatorOf(0).uploadFirmware('6.0.0');
    const rollout = await operatorOf(0).createRollout({
      name: 'node killed',
      type: 'firmware',
      artifactId: artifact.id,
      target: { deviceIds: ids },
      strategy: { waves: [100], maxInFlight: 10, deviceTimeoutSeconds: 120, retries: 0 },
    });
    await operatorOf(0).waitForRollout(rollout.id, (r) => r.counts.succeeded > 0, 30_000);
    await servers[2].stop('SIGKILL');
    // Mid-rollout: jobs were still to go when the node died.
    expect((await operatorOf(0).rollout(rollout.id)).counts.succeeded).toBeLessThan(ids.length);
    killed.add(2);
    // Its devices reconnect through the load balancer to the two survivors and are online there.
    await waitFor(
      () => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'ko-%' AND session_node <> 'node-3'"),
      (r) => r.rows[0].n === ids.length,
      30_000,
    );
    const done = await operatorOf(0).waitForRollout(rollout.id, (r) => r.state !== 'running', 60_000);
    expect(done).toMatchObject({ state: 'completed' });
    expect(done.counts.succeeded).toBe(ids.length);
    // Every report acknowledged, at node 3 before it died or at a survivor after, is in the twin.
    const ackedBeforeStop = reporters.map((reporter) => reporter.acked);
    await Promise.all(reporters.map((reporter) => reporter.stop()));
    for (const [i, reporter] of reporters.entries()) {
      expect(ackedBeforeStop[i]).toBeGreaterThan(0);
      const twin = await operatorOf(0).request('GET', `/api/v1/devices/${reporter.id}/twin`);
      expect({ id: reporter.id, storedAtLeast: twin.body.reported.seq >= reporter.acked }).toEqual({ id: reporter.id, storedAtLeast: true });
    }
    // No device that reported success got its job again.
    for (const device of devices) expect({ id: device.id, after: device.documentsAfterSuccess() }).toEqual({ id: device.id, after: [] });
    // The survivors declare node 3 dead.
    const health = await waitFor(() => fetch(`${ready[0].http}/health`).then((res) => res.json() as Promise<{ peers: string[] }>), (body) => !body.peers.includes('node-3'), 15_000);
    expect(health.peers).toEqual(['node-2']);
  }, 120_000);
  it('drains a node on SIGTERM: its sessions close spread over FLEET_DRAIN_MS, reconnect through the load balancer to the survivor, and it exits 0', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `dr-${String(i).padStart(2, '0')}`);
    const drPasswords = await operatorOf(0).registerDevices(ids);
    const closedAt = new Map<string, number>();
    const devices = await Promise.all(
      ids.map(async (id) => {
        const client = track(await connectDevice(lb.mqttUrl, { id, password: drPasswords.get(id)! }, { reconnectPeriod: 100 }));
        client.on('close', () => closedAt.has(id) || closedAt.set(id, Date.now()));
        return client;
      }),
    );
    expect(devices.length).toBe(ids.length);
    await waitFor(() => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'dr-%'"), (r) => r.rows[0].n === ids.length, 10_000);
    const atNode2 = (await db.query("SELECT id FROM devices WHERE id LIKE 'dr-%' AND session_node = 'node-2'")).rows.map((row) => row.id as string);
    expect(atNode2.length).toBeGreaterThanOrEqual(6);

    const stoppedAt = Date.now();
    expect(await servers[1].stop('SIGTERM')).toBe(0);
    // Every session node 2 held was closed, at random times spread over the window rather than at once.
    const times = atNode2.map((id) => closedAt.get(id)!);
    expect(times.every((t) => t >= stoppedAt)).toBe(true);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(DRAIN_MS / 4);
    // They came back through HAProxy to the live nodes and are online there, none left offline by node 2's late writes.
    await waitFor(
      () => db.query("SELECT count(*)::int AS n FROM devices WHERE online AND id LIKE 'dr-%' AND session_node <> 'node-2'"),
      (r) => r.rows[0].n === ids.length,
      15_000,
    );
    // It left the membership on its way out: the survivor's next heartbeat drops it from peers, without the 10 s death timeout.
    await waitFor(() => fetch(`${ready[0].http}/health`).then((res) => res.json() as Promise<{ peers: string[] }>), (body) => !body.peers.includes('node-2'), 5_000);
  }, 60_000);
});
