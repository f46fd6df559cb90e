import { DeviceRepository } from '@edgefleet/registry';
import { TestApp } from '../../../test/support/test-app';
import { connackCode, connectDevice, waitFor } from '../../../test/support/mqtt-device';

describe('embedded broker: failed CONNECTs throttled per source address', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ AUTH_THROTTLE_BURST: '3', AUTH_THROTTLE_PER_MIN: '60' }, { broker: true })));
  afterAll(() => t.stop());

  const metric = async (reason: string) =>
    Number(new RegExp(`edgefleet_mqtt_connects_refused_total\\{reason="${reason}"\\} (\\d+)`).exec((await t.request('GET', '/metrics', undefined, null)).body)?.[1]);

  it('answers 0x03 without a credential lookup once an address has failed too often, then lets it in again', async () => {
    const login = await t.registerDevice('guessed-1');
    const wrong = { clientId: 'guessed-1', username: 'guessed-1', password: 'not-the-password' };
    for (let i = 0; i < 2; i++) expect(await connackCode(t.broker.mqtt, wrong)).toBe(4);
    // A NUL client id counts too (issue #15: a storm of them was a denial of service).
    expect(await connackCode(t.broker.mqtt, { clientId: 'x\u0000', username: 'x\u0000', password: 'x' })).toBe(2);

    const lookups = jest.spyOn(t.app.get(DeviceRepository), 'findCredentials');
    try {
      expect(await connackCode(t.broker.mqtt, { clientId: 'nobody', username: 'nobody', password: 'x' })).toBe(3);
      expect(await connackCode(t.broker.mqtt, { clientId: login.id, username: login.id, password: login.password })).toBe(3);
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }
    expect(await metric('bad-password')).toBe(2);
    expect(await metric('invalid-client-id')).toBe(1);
    expect(await metric('throttled')).toBe(2);

    // One failure a second refills: within about a second the device gets in.
    const client = await waitFor(() => connectDevice(t.broker.mqtt, login).catch(() => undefined), (c) => c !== undefined, 3_000);
    await client!.endAsync();
  });
});
