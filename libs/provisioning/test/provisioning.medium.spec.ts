import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type IClientOptions, type MqttClient, connectAsync } from 'mqtt';
import { PrismaService } from '@edgefleet/database';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { connackCode, connectDevice, waitFor } from '../../../test/support/mqtt-device';
import { keyAndCsr } from '../../../test/support/openssl';

/** Provisioning by claim and certificate renewal over MQTT, with keys and CSRs from openssl. */
describe('provisioning by claim and renewal over MQTT', () => {
  const dir = scratchDir('edgefleet-provisioning-');
  let t: TestApp;
  let fleetCa: Buffer;

  beforeAll(async () => {
    t = await TestApp.start({ MQTTS_PORT: '0', FLEET_DATA_DIR: join(dir, 'data') }, { broker: true });
    fleetCa = Buffer.from((await t.request('GET', '/api/v1/ca', undefined, null)).body);
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  async function newClaim(uses: number): Promise<{ id: string; username: string; password: string }> {
    const res = await t.request('POST', '/api/v1/claims', { type: 'meter', tags: { batch: 'b7' }, uses, expiresAt: inAnHour() });
    expect(res.status).toBe(201);
    return { id: res.body.id, ...res.body.credentials };
  }

  const claimLogin = (claim: { username: string; password: string }, nonce: string): IClientOptions => ({
    clientId: `claim/${nonce}`,
    username: claim.username,
    password: claim.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });

  /** Connects with the claim, asks for `request`, returns the answer. */
  async function ask(claim: { id: string; username: string; password: string }, nonce: string, request: object): Promise<any> {
    const client = await connectAsync(t.broker.mqtt, claimLogin(claim, nonce));
    try {
      const answered = nextMessage(client);
      await client.subscribeAsync(`claims/${claim.id}/${nonce}/response`, { qos: 1 });
      await client.publishAsync(`claims/${claim.id}/${nonce}/request`, JSON.stringify(request), { qos: 1 });
      return JSON.parse(await answered);
    } finally {
      await client.endAsync();
    }
  }

  it('gives a device its own certificate for its CSR once, with the claim\'s type and tags, then refuses the used-up claim', async () => {
    const claim = await newClaim(1);
    const { key, csr } = keyAndCsr(dir, 'meter-1', 'meter-1');
    const answer = await ask(claim, 'n1', { deviceId: 'meter-1', csr: readFileSync(csr, 'utf8') });
    expect(answer).toMatchObject({ deviceId: 'meter-1', serial: expect.any(String), certificate: expect.stringContaining('BEGIN CERTIFICATE'), notAfter: expect.any(String) });
    const device = await t.request('GET', '/api/v1/devices/meter-1');
    expect(device.body).toMatchObject({ type: 'meter', tags: { batch: 'b7' } });

    const signedIn = await connackCode(t.broker.mqtts!, { clientId: 'meter-1', protocolVersion: 4, ca: fleetCa, key: readFileSync(key), cert: Buffer.from(answer.certificate) });
    expect(signedIn).toBe(0);
    expect(await connackCode(t.broker.mqtt, claimLogin(claim, 'n2'))).toBe(5);
    expect((await t.request('GET', '/api/v1/claims')).body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: claim.id, uses: 1, used: 1 })]));
  });

  it('gives a device without TLS a password instead, and refuses an expired claim', async () => {
    const claim = await newClaim(5);
    const answer = await ask(claim, 'n3', { deviceId: 'meter-2' });
    expect(answer.credentials).toEqual({ username: 'meter-2', password: expect.any(String) });
    const device = await connectDevice(t.broker.mqtt, { id: 'meter-2', password: answer.credentials.password });
    await device.endAsync();
    await t.app.get(PrismaService).$executeRaw`UPDATE provisioning_claims SET expires_at = now() - interval '1 second' WHERE id = ${claim.id}::uuid`;
    expect(await connackCode(t.broker.mqtt, claimLogin(claim, 'n4'))).toBe(5);
    expect(await connackCode(t.broker.mqtt, { ...claimLogin(claim, 'n4'), password: 'wrong' })).toBe(4);
  });

  it('lets a claim session use its provisioning topics and nothing else', async () => {
    const claim = await newClaim(2);
    const client = await connectAsync(t.broker.mqtt, claimLogin(claim, 'n5'));
    const refused = await client.subscribeAsync(['devices/meter-2/#', `claims/${claim.id}/other/response`, `claims/${claim.id}/n5/response`]).catch((error) => error);
    expect(refused.packet.granted).toEqual([128, 128, 0]);
    await client.publishAsync('devices/meter-2/state/reported', '{"spoofed":true}', { qos: 1 });
    await client.publishAsync(`claims/${claim.id}/other/request`, JSON.stringify({ deviceId: 'meter-9' }), { qos: 1 });
    // The request on its own topic is answered, so the two before it were seen and dropped.
    const answered = nextMessage(client);
    await client.publishAsync(`claims/${claim.id}/n5/request`, JSON.stringify({ deviceId: 'meter-3' }), { qos: 1 });
    expect(JSON.parse(await answered).deviceId).toBe('meter-3');
    await client.endAsync();
    expect((await t.request('GET', '/api/v1/devices/meter-9')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/devices/meter-2/twin')).body.reported ?? {}).not.toHaveProperty('spoofed');
  });

  it('renews a certificate over MQTT; the old one works until the new one is first used', async () => {
    await t.registerDevice('renew-1');
    const first = keyAndCsr(dir, 'renew-1a', 'renew-1');
    const issued = await t.request('POST', '/api/v1/devices/renew-1/certificates', { csr: readFileSync(first.csr, 'utf8') });
    const oldTls = { clientId: 'renew-1', protocolVersion: 4 as const, ca: fleetCa, key: readFileSync(first.key), cert: Buffer.from(issued.body.certificate) };
    const device = await connectAsync(t.broker.mqtts!, { ...oldTls, reconnectPeriod: 0 });
    const renewed = nextMessage(device);
    await device.subscribeAsync('devices/renew-1/certificates/renewed', { qos: 1 });
    const second = keyAndCsr(dir, 'renew-1b', 'renew-1');
    await device.publishAsync('devices/renew-1/certificates/renew', JSON.stringify({ csr: readFileSync(second.csr, 'utf8') }), { qos: 1 });
    const answer = JSON.parse(await renewed);
    expect(answer.serial).not.toBe(issued.body.serial);
    await device.endAsync();
    writeFileSync(join(dir, 'renew-1b.pem'), answer.certificate);

    expect(await connackCode(t.broker.mqtts!, oldTls)).toBe(0);
    const newTls = { ...oldTls, key: readFileSync(second.key), cert: Buffer.from(answer.certificate) };
    expect(await connackCode(t.broker.mqtts!, newTls)).toBe(0);
    const states = () => t.request('GET', '/api/v1/devices/renew-1/certificates').then((r) => Object.fromEntries(r.body.items.map((c: any) => [c.serial, c.state])));
    await waitFor(states, (s) => s[issued.body.serial] === 'revoked');
    expect((await states())[answer.serial]).toBe('active');
    expect(await connackCode(t.broker.mqtts!, oldTls)).toBe(5);
    expect(await connackCode(t.broker.mqtts!, newTls)).toBe(0);
  });
});

function nextMessage(client: MqttClient): Promise<string> {
  return new Promise((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
}
