import { DeviceRepository } from '@edgefleet/registry';
import { connectDevice, waitFor } from '../../../test/support/mqtt-device';
import { RawConnection, connectPacket, publishPacket } from '../../../test/support/raw-packets';
import { TestApp } from '../../../test/support/test-app';

/** Issue #15: what MQTT 3.1.1 says a server must refuse is refused, and only the sender is affected. */
describe('malformed MQTT input (real broker, real Postgres)', () => {
  let t: TestApp;
  let url: string;
  let login: { id: string; password: string };
  beforeAll(async () => {
    t = await TestApp.start({}, { broker: true });
    url = t.broker.mqtt;
    login = await t.registerDevice('honest-0');
  });
  afterAll(() => t.stop());

  it('answers a CONNECT with an unknown protocol level with CONNACK 0x01 and closes (§3.1.2.2)', async () => {
    for (const level of [2, 6, 127]) {
      const raw = await RawConnection.open(url);
      raw.write(connectPacket(login.id, login.id, login.password, level));
      await waitFor(() => raw.closed, Boolean);
      expect(raw.connackCode).toBe(0x01);
    }
  });

  it('closes a connection whose PUBLISH topic is not well-formed UTF-8 (§1.5.3), and no one else', async () => {
    const other = await connectDevice(url, await t.registerDevice('bystander-1'));
    for (const topic of [Buffer.from([...Buffer.from('devices/honest-0/state/'), 0xc3, 0x28]), Buffer.from([...Buffer.from('devices/honest-0/'), 0xed, 0xa0, 0x80]), 'devices/honest-0/a\u0000b']) {
      const raw = await RawConnection.open(url);
      raw.write(connectPacket(login.id, login.id, login.password));
      await waitFor(() => raw.connackCode, (code) => code === 0);
      raw.write(publishPacket(topic, '{"x":1}', 1));
      await waitFor(() => raw.closed, Boolean);
      // No PUBACK (0x40) arrived after the CONNACK.
      expect(raw.received.subarray(4).includes(0x40)).toBe(false);
    }
    expect(other.connected).toBe(true);
    await other.endAsync();
  });

  it('refuses a NUL in the client id with 0x02 before the credential lookup, and honest devices connecting meanwhile all get in', async () => {
    const logins = await Promise.all(Array.from({ length: 20 }, (_, i) => t.registerDevice(`honest-${i + 1}`)));
    const lookups: string[][] = [];
    const repository = t.app.get(DeviceRepository);
    const original = repository.findCredentials.bind(repository);
    const spy = jest.spyOn(repository, 'findCredentials').mockImplementation((ids: readonly string[]) => {
      lookups.push([...ids]);
      return original(ids);
    });
    try {
      const storm = Array.from({ length: 200 }, async (_, i) => {
        // From another address, as an attacker's would be: failed CONNECTs are also throttled per source.
        const raw = await RawConnection.open(url, '127.0.0.2');
        raw.write(connectPacket(`x${i}\u0000`, `x${i}\u0000`, 'guess'));
        await waitFor(() => raw.connackCode, (code) => code !== undefined);
        raw.destroy();
        return raw.connackCode;
      });
      const honest = logins.map(async (device) => {
        const client = await connectDevice(url, device);
        await client.endAsync();
        return 0;
      });
      const [stormCodes, honestCodes] = await Promise.all([Promise.all(storm), Promise.all(honest)]);
      // 0x02 until the per-source throttle of failed CONNECTs takes over with 0x03.
      expect(stormCodes.filter((code) => code === 0x02).length).toBeGreaterThan(0);
      expect(stormCodes.every((code) => code === 0x02 || code === 0x03)).toBe(true);
      expect(honestCodes).toEqual(logins.map(() => 0));
      expect(lookups.flat().filter((id) => id.includes('\u0000'))).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
