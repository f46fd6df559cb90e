import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { Operator } from './support/operator';
import { chainFile, intermediateCa, keyAndCsr, newCa, signedByCa } from '../support/openssl';
import { closed, waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { type ReadyInfo, ServerProcess } from '../support/server-process';
import { StandalonePostgres } from '../support/standalone-postgres';

const TOKEN = 'efk_cluster-ca-test-admin-token-01';

/** Two nodes on one Postgres: a CA registered, changed or removed through one is seen so by the other without a restart. */
describe('device certificates across two cluster nodes', () => {
  let postgres: StandalonePostgres;
  let dataDir: string;
  let certDir: string;
  const servers: ServerProcess[] = [];
  const ready: ReadyInfo[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    postgres = await StandalonePostgres.create();
    const databaseUrl = await postgres.createDatabase('cluster_ca');
    dataDir = scratchDir('edgefleet-cluster-ca-');
    certDir = scratchDir('edgefleet-cluster-ca-certs-');
    const spawnNode = (nodeId: string) => ServerProcess.spawn({ DATABASE_URL: databaseUrl, FLEET_DATA_DIR: dataDir, FLEET_NODE_ID: nodeId, FLEET_ADMIN_TOKEN: TOKEN, MQTTS_PORT: '0' });
    servers.push(spawnNode('node-1'));
    ready.push(await servers[0].ready());
    servers.push(spawnNode('node-2'));
    ready.push(await servers[1].ready());
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await Promise.all(servers.map((server) => server.stop()));
    await postgres?.stop();
    for (const dir of [dataDir, certDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets a device from a CA registered through node 1 sign in at node 2 within 2 s, auto-registered once', async () => {
    const ca = newCa(certDir, 'maker');
    const device = signedByCa(certDir, ca, 'sensor', 'maker-sensor-1');
    const response = await fetch(`${ready[0].http}/api/v1/cas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: readFileSync(ca.cert, 'utf8'), autoRegister: { type: 'sensor' } }),
    });
    expect(response.status).toBe(201);
    const started = Date.now();
    const options = { clientId: 'maker-sensor-1', key: readFileSync(device.key), cert: readFileSync(device.cert), rejectUnauthorized: false, reconnectPeriod: 0, connectTimeout: 2_000 };
    const client = await waitFor(
      () => connectAsync(ready[1].mqtts!, options).catch(() => undefined),
      (connected) => connected !== undefined,
      2_000,
    );
    clients.push(client!);
    expect(Date.now() - started).toBeLessThan(2_000);
    const devices = await fetch(`${ready[0].http}/api/v1/devices/maker-sensor-1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(devices.status).toBe(200);
  }, 30_000);

  it('closes at node 2, within 1 s, a session signed in with a certificate revoked through node 1, and refuses it after', async () => {
    const operator = new Operator(ready[0].http, TOKEN);
    await operator.registerDevices(['csr-cam-1']);
    const { key, csr } = keyAndCsr(certDir, 'csr-cam-1', 'csr-cam-1');
    const issued = await operator.request('POST', '/api/v1/devices/csr-cam-1/certificates', { csr: readFileSync(csr, 'utf8') });
    expect(issued.status).toBe(201);
    const cert = join(certDir, 'csr-cam-1-issued.pem');
    writeFileSync(cert, issued.body.certificate);
    const options = { clientId: 'csr-cam-1', key: readFileSync(key), cert: readFileSync(cert), rejectUnauthorized: false, reconnectPeriod: 0, connectTimeout: 2_000 };
    const client = await connectAsync(ready[1].mqtts!, options);
    clients.push(client);
    const gone = closed(client);
    const revokedAt = Date.now();
    expect((await operator.request('DELETE', `/api/v1/devices/csr-cam-1/certificates/${issued.body.serial}`)).status).toBe(200);
    await gone;
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    await expect(connectAsync(ready[1].mqtts!, options)).rejects.toThrow();
  }, 30_000);

  it('follows at node 2 a policy changed through node 1, and closes there within 1 s the sessions of a CA removed through node 1', async () => {
    const operator = new Operator(ready[0].http, TOKEN);
    const ca = newCa(certDir, 'leaving');
    const registered = await operator.request('POST', '/api/v1/cas', { certificate: readFileSync(ca.cert, 'utf8') });
    expect(registered.status).toBe(201);
    const optionsFor = (id: string, files: { key: string; cert: string }) => ({
      clientId: id, key: readFileSync(files.key), cert: readFileSync(files.cert), rejectUnauthorized: false, reconnectPeriod: 0, connectTimeout: 2_000,
    });
    const changed = await operator.request('PATCH', `/api/v1/cas/${registered.body.id}`, { autoRegister: { type: 'meter' } });
    expect(changed.status).toBe(200);
    const direct = optionsFor('leaving-1', signedByCa(certDir, ca, 'leaving-1', 'leaving-1'));
    // Node 2 trusted the CA already; what it must learn is the new policy.
    const first = await waitFor(() => connectAsync(ready[1].mqtts!, direct).catch(() => undefined), (connected) => connected !== undefined, 2_000);
    clients.push(first!);
    expect((await operator.request('GET', '/api/v1/devices/leaving-1')).body).toMatchObject({ type: 'meter' });
    const factory = intermediateCa(certDir, ca, 'leaving-factory');
    const leaf = signedByCa(certDir, factory, 'leaving-2', 'leaving-2');
    const chained = optionsFor('leaving-2', { key: leaf.key, cert: chainFile(certDir, 'leaving-2', [leaf.cert, factory.cert]) });
    const second = await connectAsync(ready[1].mqtts!, chained);
    clients.push(second);

    const gone = Promise.all([closed(first!), closed(second)]);
    const removedAt = Date.now();
    expect((await operator.request('DELETE', `/api/v1/cas/${registered.body.id}`)).status).toBe(204);
    await gone;
    expect(Date.now() - removedAt).toBeLessThan(1_000);
    await expect(connectAsync(ready[1].mqtts!, direct)).rejects.toThrow(/Not authorized/i);
    await expect(connectAsync(ready[1].mqtts!, chained)).rejects.toThrow(/Not authorized/i);
  }, 30_000);
});
