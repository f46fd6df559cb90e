import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { CredentialsStore, Fleet, FleetApi, INSTANT_DEVICES, enrollCertificates, parseSimArgs, prepareFleet, provisionFleetByClaim } from '@edgefleet/fleet-sim';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';

/** The simulator's `--auth cert` and `--claim`: simulated devices signing in by certificate over MQTTS, and provisioning themselves by claim. */
describe('fleet simulator: certificates and claims', () => {
  let t: TestApp;
  let dir: string;
  let api: FleetApi;
  const fleets: Fleet[] = [];

  beforeAll(async () => {
    dir = scratchDir('edgefleet-sim-identity-');
    t = await TestApp.start({ FLEET_DATA_DIR: dir, MQTTS_PORT: '0' }, { broker: true });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    api = new FleetApi(t.app.getHttpAdapter().getInstance().listeningOrigin, t.adminToken);
  });
  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (logins: Parameters<typeof enrollCertificates>[1], mqttUrl: string, ca?: string) => {
    const fleet = new Fleet({ ...INSTANT_DEVICES, mqttUrl, logins, ca, firmware: '1.0.0', signingKey: loadSigningKey(await api.signingKey()), connectRate: 1_000, churn: 0, offlineTime: { min: 1, max: 1 }, mqttDownloads: false });
    fleets.push(fleet);
    fleet.start();
    await waitFor(() => fleet.stats().online, (online) => online === logins.length, 20_000);
  };

  it('parses --auth and --claim', () => {
    const options = parseSimArgs(['--token', 't', '--auth', 'cert', '--claim', 'claim:1234:se:cret']);
    expect(options.auth).toBe('cert');
    expect(options.claim).toEqual({ username: 'claim:1234', password: 'se:cret' });
    expect(() => parseSimArgs(['--token', 't', '--auth', 'psk'])).toThrow(/--auth/);
  });

  it('--auth cert: registered devices get certificates and sign in by them over MQTTS', async () => {
    const setup = await prepareFleet(api, new CredentialsStore(join(dir, 'creds.json')), 'simcert', 20, () => undefined);
    expect(await enrollCertificates(api, setup.logins)).toBe(20);
    const ca = await api.fleetCa();
    await run(setup.logins.map(({ id, certificate }) => ({ id, certificate })), t.broker.mqtts!, ca);
    const list = await t.request('GET', `/api/v1/devices/${setup.logins[0].id}/certificates`);
    expect(list.body.items).toHaveLength(1);
  });

  it('--claim: devices provision themselves and come online', async () => {
    const claim = await t.request('POST', '/api/v1/claims', { type: 'simclaim', uses: 10, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const logins = await provisionFleetByClaim({ mqttUrl: t.broker.mqtt, claim: claim.body.credentials, type: 'simclaim', count: 10, withCertificate: false });
    expect(logins).toHaveLength(10);
    await run(logins, t.broker.mqtt);
    expect((await t.request('GET', '/api/v1/devices?type=simclaim')).body.items).toHaveLength(10);
  });
});
