import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceClient, provisionByClaim } from '@edgefleet/device-sdk';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { waitFor } from '../../../test/support/mqtt-device';
import { keyAndCsr } from '../../../test/support/openssl';

/** The SDK signing in by certificate, renewing it, and provisioning itself by claim (keys and CSRs from openssl). */
describe('device SDK: certificates and claims', () => {
  const dir = scratchDir('edgefleet-sdk-certs-');
  let t: TestApp;
  let ca: string;
  const clients: DeviceClient[] = [];

  beforeAll(async () => {
    t = await TestApp.start({ MQTTS_PORT: '0', FLEET_DATA_DIR: join(dir, 'data') }, { broker: true });
    ca = (await t.request('GET', '/api/v1/ca', undefined, null)).body;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const online = (id: string) => waitFor(() => t.request('GET', `/api/v1/devices/${id}`).then((r) => r.body.status), (status) => status === 'online');

  it('provisions itself with a claim, signs in by the certificate it got, and renews it', async () => {
    const claim = await t.request('POST', '/api/v1/claims', { type: 'meter', uses: 1, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const first = keyAndCsr(dir, 'sdk-1a', 'sdk-1');
    const answer = await provisionByClaim({ url: t.broker.mqtt, claim: claim.body.credentials, deviceId: 'sdk-1', csr: readFileSync(first.csr, 'utf8') });
    if (!('certificate' in answer)) throw new Error('expected a certificate');

    const device = new DeviceClient({ url: t.broker.mqtts!, deviceId: 'sdk-1', certificate: { cert: answer.certificate, key: readFileSync(first.key), ca }, presence: false });
    clients.push(device);
    await device.start();
    await online('sdk-1');

    const second = keyAndCsr(dir, 'sdk-1b', 'sdk-1');
    const renewed = await device.renewCertificate(readFileSync(second.csr, 'utf8'));
    expect(renewed.serial).not.toBe(answer.serial);
    expect(Date.parse(renewed.notAfter)).toBeGreaterThan(Date.now());
    await expect(device.renewCertificate('not a csr')).rejects.toThrow(/renewal refused: csr/);
  });

  it('gets a password from a claim when it sends no CSR', async () => {
    const claim = await t.request('POST', '/api/v1/claims', { type: 'meter', uses: 3, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const answer = await provisionByClaim({ url: t.broker.mqtt, claim: claim.body.credentials, deviceId: 'sdk-2' });
    if (!('credentials' in answer)) throw new Error('expected credentials');
    const device = new DeviceClient({ url: t.broker.mqtt, deviceId: 'sdk-2', password: answer.credentials.password, presence: false });
    clients.push(device);
    await device.start();
    await online('sdk-2');
    await expect(provisionByClaim({ url: t.broker.mqtt, claim: claim.body.credentials, deviceId: 'sdk-2' })).rejects.toThrow(/already registered/);
  });
});
