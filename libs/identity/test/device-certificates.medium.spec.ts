import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { type IClientOptions, connect } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { closed, connackCode, connectDevice, waitFor } from '../../../test/support/mqtt-device';
import { type KeyAndCertificate, chainFile, intermediateCa, keyAndCsr, newCa, selfSigned, signedByCa } from '../../../test/support/openssl';

const run = promisify(execFile);

/**
 * Device sign-in by X.509 certificate over the MQTTS listener (CONTRACT §9), with keys, CSRs
 * and CAs made by the openssl command line and devices played by mosquitto_pub and mqtt.js.
 */
describe('device certificates over mutual TLS', () => {
  const dir = scratchDir('edgefleet-certs-');
  const caFile = join(dir, 'fleet-ca.pem');
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start({ MQTTS_PORT: '0', FLEET_DATA_DIR: join(dir, 'data') }, { broker: true });
    const ca = await t.request('GET', '/api/v1/ca', undefined, null);
    expect(ca.status).toBe(200);
    writeFileSync(caFile, ca.body);
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A device with a certificate the fleet CA signed from an openssl CSR. */
  async function enrolled(id: string): Promise<KeyAndCertificate & { serial: string }> {
    await t.registerDevice(id);
    const { key, csr } = keyAndCsr(dir, id, id);
    const res = await t.request('POST', `/api/v1/devices/${id}/certificates`, { csr: readFileSync(csr, 'utf8') });
    expect(res.status).toBe(201);
    const cert = join(dir, `${id}.pem`);
    writeFileSync(cert, res.body.certificate);
    return { key, cert, serial: res.body.serial };
  }

  const tlsOptions = (clientId: string, files: KeyAndCertificate): IClientOptions => ({
    clientId,
    protocolVersion: 4,
    ca: readFileSync(caFile),
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
  });

  it('publishes the fleet CA unauthenticated and keeps its generated key private (0600)', () => {
    expect(readFileSync(caFile, 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    expect(statSync(join(dir, 'data', 'keys', 'fleet-ca-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('signs a CSR and lets mosquitto_pub sign in with the certificate alone, no password', async () => {
    const files = await enrolled('cert-1');
    const { port } = new URL(t.broker.mqtts!);
    await run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-i', 'cert-1', '--cafile', caFile, '--cert', files.cert, '--key', files.key,
      '-q', '1', '-t', 'devices/cert-1/state/reported', '-m', '{"signedIn":"by certificate"}',
    ]);
    await waitFor(() => t.request('GET', '/api/v1/devices/cert-1/twin').then((r) => r.body.reported), (reported) => reported?.signedIn === 'by certificate');
    const list = await t.request('GET', '/api/v1/devices/cert-1/certificates');
    expect(list.body.items).toEqual([expect.objectContaining({ serial: files.serial, state: 'active', notAfter: expect.any(String) })]);
  });

  it('counts certificates expiring within 30 days in /metrics', async () => {
    const maker = newCa(dir, 'soonmaker');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8'), autoRegister: { type: 'cam' } });
    expect(ca.status).toBe(201);
    const gauge = async () => Number(/^edgefleet_device_certificates_expiring (\d+)$/m.exec((await t.request('GET', '/metrics', undefined, null)).body)?.[1]);
    const before = await gauge();
    const soon = signedByCa(dir, maker, 'soon-1', 'soon-1', { start: new Date(Date.now() - 60_000), end: new Date(Date.now() + 10 * 86_400_000) });
    expect(await connackCode(t.broker.mqtts!, tlsOptions('soon-1', soon))).toBe(0);
    expect(await gauge()).toBe(before + 1);
    await enrolled('late-1');
    expect(await gauge()).toBe(before + 1);
  });

  it('refuses a CSR whose CN is another device, and one that is not a CSR', async () => {
    await t.registerDevice('csr-1');
    const { csr } = keyAndCsr(dir, 'csr-other', 'someone-else');
    const other = await t.request('POST', '/api/v1/devices/csr-1/certificates', { csr: readFileSync(csr, 'utf8') });
    expect(other.status).toBe(400);
    expect(other.body.message).toMatch(/CN must be the device id 'csr-1'/);
    const garbage = await t.request('POST', '/api/v1/devices/csr-1/certificates', { csr: 'hello' });
    expect(garbage.status).toBe(400);
  });

  it('refuses a certificate presented under another client id, a self-signed one, and one from an unregistered CA (0x05)', async () => {
    const files = await enrolled('cert-2');
    await t.registerDevice('cert-3');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('cert-3', files))).toBe(5);
    const own = selfSigned(dir, 'self-3', 'cert-3');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('cert-3', own))).toBe(5);
    const stranger = signedByCa(dir, newCa(dir, 'stranger'), 'stranger-3', 'cert-3');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('cert-3', stranger))).toBe(5);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('cert-2', files))).toBe(0);
  });

  it('refuses an expired certificate from a trusted CA, and lists (so revokes) a valid one once seen', async () => {
    const maker = newCa(dir, 'oldmaker');
    expect((await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8') })).status).toBe(201);
    await t.registerDevice('old-1');
    const expired = signedByCa(dir, maker, 'old-1', 'old-1', { start: new Date(Date.now() - 3 * 86_400_000), end: new Date(Date.now() - 86_400_000) });
    expect(await connackCode(t.broker.mqtts!, tlsOptions('old-1', expired))).toBe(5);
    const fresh = signedByCa(dir, maker, 'old-1b', 'old-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('old-1', fresh))).toBe(0);
    // Seen at its first CONNECT, a registered CA's certificate is listed and can be revoked.
    const listed = await waitFor(() => t.request('GET', '/api/v1/devices/old-1/certificates').then((r) => r.body.items), (items) => items.length === 1);
    expect((await t.request('DELETE', `/api/v1/devices/old-1/certificates/${listed[0].serial}`)).status).toBe(200);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('old-1', fresh))).toBe(5);
  });

  it('closes a live session within a second of its certificate being revoked, and refuses it from then on', async () => {
    const files = await enrolled('rev-1');
    const client = await connectDevice(t.broker.mqtts!, { id: 'rev-1', password: '' }, { ...tlsOptions('rev-1', files), username: undefined, password: undefined });
    const started = Date.now();
    const revoked = await t.request('DELETE', `/api/v1/devices/rev-1/certificates/${files.serial}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');
    await closed(client);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('rev-1', files))).toBe(5);
  });

  it('registers a device on first CONNECT with a certificate from a CA with an auto-registration policy (paho)', async () => {
    const maker = newCa(dir, 'acme');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8'), autoRegister: { type: 'sensor', tags: { vendor: 'acme' } } });
    expect(ca.status).toBe(201);
    const files = signedByCa(dir, maker, 'acme-7', 'acme-7');
    const { port } = new URL(t.broker.mqtts!);
    await run('/usr/bin/python3', ['-c', PAHO_PUBLISH, port, 'acme-7', caFile, files.cert, files.key]);
    const device = await t.request('GET', '/api/v1/devices/acme-7');
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({ type: 'sensor', tags: { vendor: 'acme' } });
    const audit = await t.request('GET', '/api/v1/audit?resourceType=device&resourceId=acme-7');
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'device.create', actorName: expect.stringContaining('auto-registration') })]);
    const certificates = await t.request('GET', '/api/v1/devices/acme-7/certificates');
    expect(certificates.body.items).toEqual([expect.objectContaining({ state: 'active', issuerFingerprint: ca.body.fingerprint })]);
  });

  it('holds a device from a CA with a pending policy until an operator accepts it, and keeps a rejected one out', async () => {
    const maker = newCa(dir, 'queue');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8'), autoRegister: { type: 'gateway', tags: { vendor: 'queue' }, pending: true } });
    expect(ca.status).toBe(201);
    const held = signedByCa(dir, maker, 'queue-1', 'queue-1');
    const turnedAway = signedByCa(dir, maker, 'queue-2', 'queue-2');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('queue-1', held))).toBe(5);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('queue-2', turnedAway))).toBe(5);
    expect((await t.request('GET', '/api/v1/devices/queue-1')).status).toBe(404);
    const pending = await t.request('GET', '/api/v1/pending-devices');
    expect(pending.body.items.map((item: { deviceId: string }) => item.deviceId)).toEqual(['queue-1', 'queue-2']);

    const accepted = await t.request('POST', '/api/v1/pending-devices/queue-1/accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: 'queue-1', type: 'gateway', tags: { vendor: 'queue' } });
    expect(await connackCode(t.broker.mqtts!, tlsOptions('queue-1', held))).toBe(0);
    expect((await t.request('POST', '/api/v1/pending-devices/queue-2/reject')).status).toBe(204);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('queue-2', turnedAway))).toBe(5);
    const audit = await t.request('GET', '/api/v1/audit?resourceType=device&resourceId=queue-1');
    expect(audit.body.items.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['device.pending', 'device.create', 'device.accept']));
    expect((await t.request('GET', '/api/v1/pending-devices')).body.items).toEqual([expect.objectContaining({ deviceId: 'queue-2', rejectedAt: expect.any(String) })]);
  });

  it('changes a CA\'s auto-registration policy: devices not registered yet follow the new one, and none after null', async () => {
    const maker = newCa(dir, 'later');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8') });
    expect(ca.status).toBe(201);
    const first = signedByCa(dir, maker, 'later-1', 'later-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('later-1', first))).toBe(5);

    const changed = await t.request('PATCH', `/api/v1/cas/${ca.body.id}`, { autoRegister: { type: 'meter', tags: { vendor: 'later' } } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: ca.body.id, fingerprint: ca.body.fingerprint, autoRegister: { type: 'meter', tags: { vendor: 'later' } } });
    expect(await connackCode(t.broker.mqtts!, tlsOptions('later-1', first))).toBe(0);
    expect((await t.request('GET', '/api/v1/devices/later-1')).body).toMatchObject({ type: 'meter', tags: { vendor: 'later' } });

    const off = await t.request('PATCH', `/api/v1/cas/${ca.body.id}`, { autoRegister: null });
    expect(off.status).toBe(200);
    expect(off.body.autoRegister).toBeNull();
    const second = signedByCa(dir, maker, 'later-2', 'later-2');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('later-2', second))).toBe(5);
    expect((await t.request('GET', '/api/v1/devices/later-2')).status).toBe(404);
    // Already registered, the first device is not touched by the policy going.
    expect(await connackCode(t.broker.mqtts!, tlsOptions('later-1', first))).toBe(0);
    const listed = (await t.request('GET', '/api/v1/cas')).body.items.find((item: { id: string }) => item.id === ca.body.id);
    expect(listed.autoRegister).toBeNull();
    const audit = await t.request('GET', `/api/v1/audit?resourceType=ca&resourceId=${ca.body.id}`);
    expect(audit.body.items.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['ca.register', 'ca.update']));
    expect(audit.body.items.filter((entry: { action: string }) => entry.action === 'ca.update')).toHaveLength(2);
  });

  it('removes a CA: its live sessions close within a second, its devices are refused from then on, fleet-CA devices stay', async () => {
    const maker = newCa(dir, 'gone');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8'), autoRegister: { type: 'cam' } });
    expect(ca.status).toBe(201);
    const direct = signedByCa(dir, maker, 'gone-1', 'gone-1');
    const factory = intermediateCa(dir, maker, 'gone-factory');
    const chained = signedByCa(dir, factory, 'gone-2', 'gone-2');
    const chainedFiles = { key: chained.key, cert: chainFile(dir, 'gone-2', [chained.cert, factory.cert]) };
    const fleetFiles = await enrolled('stay-1');
    const asDevice = (id: string, files: KeyAndCertificate) => ({ ...tlsOptions(id, files), username: undefined, password: undefined });
    const gone1 = await connectDevice(t.broker.mqtts!, { id: 'gone-1', password: '' }, asDevice('gone-1', direct));
    const gone2 = await connectDevice(t.broker.mqtts!, { id: 'gone-2', password: '' }, asDevice('gone-2', chainedFiles));
    const stay = await connectDevice(t.broker.mqtts!, { id: 'stay-1', password: '' }, asDevice('stay-1', fleetFiles));
    try {
      const gone = Promise.all([closed(gone1), closed(gone2)]);
      const removed = await t.request('DELETE', `/api/v1/cas/${ca.body.id}`);
      expect(removed.status).toBe(204);
      await expect(Promise.race([gone.then(() => 'closed'), after(1_000, 'still open after 1 s')])).resolves.toBe('closed');
      expect(await connackCode(t.broker.mqtts!, tlsOptions('gone-1', direct))).toBe(5);
      expect(await connackCode(t.broker.mqtts!, tlsOptions('gone-2', chainedFiles))).toBe(5);
      // A new device from it is not auto-registered any more either.
      expect(await connackCode(t.broker.mqtts!, tlsOptions('gone-3', signedByCa(dir, maker, 'gone-3', 'gone-3')))).toBe(5);
      expect((await t.request('GET', '/api/v1/devices/gone-3')).status).toBe(404);
      expect(stay.connected).toBe(true);
      await stay.publishAsync('devices/stay-1/state/reported', '{"after":"ca removed"}', { qos: 1 });
      expect(await connackCode(t.broker.mqtts!, tlsOptions('stay-1', fleetFiles))).toBe(0);
    } finally {
      await Promise.all([gone1, gone2, stay].map((client) => client.endAsync(true)));
    }
    const listed = await t.request('GET', '/api/v1/cas');
    expect(listed.body.items.map((item: { id: string }) => item.id)).not.toContain(ca.body.id);
    const audit = await t.request('GET', `/api/v1/audit?resourceType=ca&resourceId=${ca.body.id}`);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'ca.remove', before: expect.objectContaining({ fingerprint: ca.body.fingerprint }) })]));
    expect((await t.request('DELETE', `/api/v1/cas/${ca.body.id}`)).status).toBe(404);
    // Trusted again once registered again: the removal left nothing behind in memory.
    expect((await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8') })).status).toBe(201);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('gone-1', direct))).toBe(0);
  });

  it('signs in a device whose certificate is signed by an intermediate CA under a registered CA, with the chain in one file (mosquitto_pub)', async () => {
    const root = newCa(dir, 'chainroot');
    expect((await t.request('POST', '/api/v1/cas', { certificate: readFileSync(root.cert, 'utf8') })).status).toBe(201);
    const factory = intermediateCa(dir, root, 'chainroot-factory');
    const leaf = signedByCa(dir, factory, 'chain-1', 'chain-1');
    await t.registerDevice('chain-1');
    const chain = chainFile(dir, 'chain-1', [leaf.cert, factory.cert]);
    const { port } = new URL(t.broker.mqtts!);
    await run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-i', 'chain-1', '--cafile', caFile, '--cert', chain, '--key', leaf.key,
      '-q', '1', '-t', 'devices/chain-1/state/reported', '-m', '{"signedIn":"through an intermediate"}',
    ]);
    await waitFor(() => t.request('GET', '/api/v1/devices/chain-1/twin').then((r) => r.body.reported), (reported) => reported?.signedIn === 'through an intermediate');

    // Two intermediates deep, in one file too.
    const line = intermediateCa(dir, factory, 'chainroot-line');
    const deeper = signedByCa(dir, line, 'chain-2', 'chain-2');
    await t.registerDevice('chain-2');
    const deeperChain = { key: deeper.key, cert: chainFile(dir, 'chain-2', [deeper.cert, line.cert, factory.cert]) };
    expect(await connackCode(t.broker.mqtts!, tlsOptions('chain-2', deeperChain))).toBe(0);
    // A resumed TLS session brings the certificate without its chain (the client sends none): the
    // chain checked at the full handshake still counts. Resumed or not, only the chain would pass.
    const ticket = await sessionTicket(t.broker.mqtts!, tlsOptions('chain-2', deeperChain));
    const resumed: IClientOptions & Pick<ConnectionOptions, 'session'> = { ...tlsOptions('chain-2', deeper), session: ticket };
    expect(await connackCode(t.broker.mqtts!, resumed)).toBe(0);

    // The leaf is revoked as before: listed once seen, then refused.
    const listed = await waitFor(() => t.request('GET', '/api/v1/devices/chain-1/certificates').then((r) => r.body.items), (items) => items.length === 1);
    expect((await t.request('DELETE', `/api/v1/devices/chain-1/certificates/${listed[0].serial}`)).status).toBe(200);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('chain-1', { key: leaf.key, cert: chain }))).toBe(5);
  });

  it('refuses a chained certificate sent without its intermediate, and one whose intermediate is not a CA (0x05)', async () => {
    const root = newCa(dir, 'brokenroot');
    expect((await t.request('POST', '/api/v1/cas', { certificate: readFileSync(root.cert, 'utf8') })).status).toBe(201);
    const factory = intermediateCa(dir, root, 'brokenroot-factory');
    const leaf = signedByCa(dir, factory, 'broken-1', 'broken-1');
    await t.registerDevice('broken-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('broken-1', leaf))).toBe(5);
    const { port } = new URL(t.broker.mqtts!);
    const alone = run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-i', 'broken-1', '--cafile', caFile, '--cert', leaf.cert, '--key', leaf.key,
      '-q', '1', '-t', 'devices/broken-1/state/reported', '-m', '{}',
    ]);
    await expect(alone).rejects.toThrow(/not authori[sz]ed/i);

    const notCa = intermediateCa(dir, root, 'brokenroot-notca', { ca: false });
    const underNotCa = signedByCa(dir, notCa, 'broken-2', 'broken-2');
    await t.registerDevice('broken-2');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('broken-2', { key: underNotCa.key, cert: chainFile(dir, 'broken-2', [underNotCa.cert, notCa.cert]) }))).toBe(5);
    // The same intermediate signed as a CA is accepted: what was refused was CA:FALSE.
    expect(await connackCode(t.broker.mqtts!, tlsOptions('broken-1', { key: leaf.key, cert: chainFile(dir, 'broken-1', [leaf.cert, factory.cert]) }))).toBe(0);
  });

  it('refuses a chain longer than a CA of it allows (basicConstraints pathlen), the trusted CA included (0x05)', async () => {
    // A root that allows one intermediate below it; its factory CA allows none below itself.
    const root = newCa(dir, 'pathroot', undefined, { pathLength: 1 });
    expect((await t.request('POST', '/api/v1/cas', { certificate: readFileSync(root.cert, 'utf8') })).status).toBe(201);
    const factory = intermediateCa(dir, root, 'pathroot-factory', { pathLength: 0 });
    await t.registerDevice('path-1');
    const direct = signedByCa(dir, factory, 'path-1', 'path-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('path-1', { key: direct.key, cert: chainFile(dir, 'path-1', [direct.cert, factory.cert]) }))).toBe(0);
    // A line CA under the factory breaks the factory's pathlen:0 (and would be two below the root).
    const line = intermediateCa(dir, factory, 'pathroot-line');
    const deeper = signedByCa(dir, line, 'path-1b', 'path-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('path-1', { key: deeper.key, cert: chainFile(dir, 'path-1b', [deeper.cert, line.cert, factory.cert]) }))).toBe(5);
    // Two unconstrained intermediates under the root: the root's own pathlen:1 refuses them.
    const open = intermediateCa(dir, root, 'pathroot-open');
    const openLine = intermediateCa(dir, open, 'pathroot-openline');
    const underOpen = signedByCa(dir, openLine, 'path-1c', 'path-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('path-1', { key: underOpen.key, cert: chainFile(dir, 'path-1c', [underOpen.cert, openLine.cert, open.cert]) }))).toBe(5);
    // One of them alone is within it.
    const underOpenDirect = signedByCa(dir, open, 'path-1d', 'path-1');
    expect(await connackCode(t.broker.mqtts!, tlsOptions('path-1', { key: underOpenDirect.key, cert: chainFile(dir, 'path-1d', [underOpenDirect.cert, open.cert]) }))).toBe(0);
  });

  it('answers PATCH and DELETE /cas/{id} with 404 for an unknown CA, 400 for a bad policy, 403 below admin', async () => {
    const maker = newCa(dir, 'rest');
    const ca = await t.request('POST', '/api/v1/cas', { certificate: readFileSync(maker.cert, 'utf8') });
    expect(ca.status).toBe(201);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.request('PATCH', `/api/v1/cas/${unknown}`, { autoRegister: null })).status).toBe(404);
    expect((await t.request('PATCH', '/api/v1/cas/not-a-uuid', { autoRegister: null })).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/cas/${unknown}`)).status).toBe(404);
    expect((await t.request('DELETE', '/api/v1/cas/not-a-uuid')).status).toBe(404);
    for (const body of [{}, { autoRegister: 'cam' }, { autoRegister: { type: 'no spaces' } }, { autoRegister: { type: 'cam', pending: 'yes' } }, { autoRegister: { type: 'cam', tags: { k: 1 } } }]) {
      const res = await t.request('PATCH', `/api/v1/cas/${ca.body.id}`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    const operator = await t.tokenFor('operator');
    expect((await t.request('PATCH', `/api/v1/cas/${ca.body.id}`, { autoRegister: null }, operator)).status).toBe(403);
    expect((await t.request('DELETE', `/api/v1/cas/${ca.body.id}`, undefined, operator)).status).toBe(403);
    expect((await t.request('GET', '/api/v1/cas')).body.items.find((item: { id: string }) => item.id === ca.body.id)).toMatchObject({ autoRegister: null });
  });

  it('runs examples/python-device (paho) signed in by its certificate, with password sign-in turned off', async () => {
    const files = await enrolled('py-cert-1');
    expect((await t.request('PUT', '/api/v1/devices/py-cert-1/auth-methods', { methods: ['certificate'] })).status).toBe(200);
    const example = join(__dirname, '..', '..', '..', 'examples', 'python-device', 'edgefleet_device.py');
    const device = spawn('/usr/bin/python3', [example], {
      cwd: dir,
      env: { PATH: process.env.PATH, EDGEFLEET_MQTT_URL: t.broker.mqtts!, DEVICE_ID: 'py-cert-1', CERT_FILE: files.cert, KEY_FILE: files.key, CA_FILE: caFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    device.stdout!.on('data', (chunk) => (output += chunk));
    device.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => device.once('exit', resolve));
    try {
      const twin = () => t.request('GET', '/api/v1/devices/py-cert-1/twin').then((r) => r.body.reported);
      await waitFor(twin, (reported) => reported?.firmware?.version === 'py-1.0.0', 15_000).catch((error: Error) => {
        throw new Error(`${error.message}\npython device output:\n${output}`);
      });
      expect(output).toContain('connected as py-cert-1');
    } finally {
      device.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses a password once password sign-in is turned off for the device, and closes the session that used it', async () => {
    const login = await t.registerDevice('nopw-1');
    const files = await enrolled('nopw-2');
    const client = await connectDevice(t.broker.mqtt, login);
    const res = await t.request('PUT', '/api/v1/devices/nopw-1/auth-methods', { methods: ['certificate'] });
    expect(res.body).toEqual({ methods: ['certificate'] });
    await closed(client);
    expect(await connackCode(t.broker.mqtt, { clientId: 'nopw-1', username: 'nopw-1', password: login.password })).toBe(5);
    expect((await t.request('PUT', '/api/v1/devices/nopw-2/auth-methods', { methods: ['password'] })).status).toBe(200);
    expect(await connackCode(t.broker.mqtts!, tlsOptions('nopw-2', files))).toBe(5);
    expect((await t.request('PUT', '/api/v1/devices/nopw-2/auth-methods', { methods: [] })).status).toBe(400);
  });
});

/** A TLS session ticket from a session signed in with `options`, to resume with. */
async function sessionTicket(url: string, options: IClientOptions): Promise<Buffer> {
  const client = connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  const ticket = new Promise<Buffer>((resolve) => (client.stream as unknown as TLSSocket).once('session', resolve));
  try {
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    return await ticket;
  } finally {
    await client.endAsync();
  }
}

function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

/** paho-mqtt (Debian's python3-paho-mqtt) as a device: mTLS, no password, one QoS 1 publish. */
const PAHO_PUBLISH = `
import ssl, sys
import paho.mqtt.client as mqtt
port, device_id, ca, cert, key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
client = mqtt.Client(client_id=device_id, protocol=mqtt.MQTTv311)
client.tls_set(ca_certs=ca, certfile=cert, keyfile=key, cert_reqs=ssl.CERT_REQUIRED)
client.connect("127.0.0.1", int(port))
client.loop_start()
info = client.publish("devices/%s/state/reported" % device_id, '{"hello":"paho"}', qos=1)
info.wait_for_publish(10)
client.disconnect()
client.loop_stop()
if not info.is_published():
    sys.exit("not published")
`;
