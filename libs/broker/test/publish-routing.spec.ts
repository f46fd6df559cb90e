import type { Aedes, Client, PublishPacket } from 'aedes';
import { routeOnlyWanted } from '../src/publish-routing';

/** A stand-in for aedes' publish, recording what reaches routing; routeOnlyWanted only wraps that one method. */
function brokerRecordingRoutes(dropped: object[] = []) {
  const routed: string[] = [];
  const broker = {
    publish(packet: PublishPacket, _client: unknown, done?: () => void) {
      routed.push(packet.topic);
      done?.();
    },
  };
  routeOnlyWanted(broker as unknown as Aedes, (packet) => dropped.includes(packet));
  const publish = (packet: PublishPacket, client: unknown): Promise<void> =>
    new Promise((resolve) => (broker.publish as (p: PublishPacket, c: unknown, d: () => void) => void)(packet, client, resolve));
  return { routed, publish };
}

const packet = (topic: string, retain = false) => ({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 0, retain, dup: false }) as PublishPacket;
const device = (filters: string[]) => ({ id: 'd1', subscriptions: Object.fromEntries(filters.map((filter) => [filter, { qos: 0 }])) }) as unknown as Client;

describe('routeOnlyWanted', () => {
  it('does not route a device message none of its own subscriptions matches, and still completes it', async () => {
    const { routed, publish } = brokerRecordingRoutes();
    await publish(packet('devices/d1/state/reported'), device([]));
    await publish(packet('devices/d1/state/reported'), device(['devices/d1/state/desired', 'devices/d1/jobs/+']));
    expect(routed).toEqual([]);
  });

  it('routes a device message its own subscription matches, exactly or by wildcard', async () => {
    const { routed, publish } = brokerRecordingRoutes();
    await publish(packet('devices/d1/state/reported'), device(['devices/d1/state/reported']));
    await publish(packet('devices/d1/jobs/j1/status'), device(['devices/d1/state/desired', 'devices/d1/jobs/+/status']));
    await publish(packet('devices/d1/x'), device(['devices/d1/#']));
    expect(routed).toEqual(['devices/d1/state/reported', 'devices/d1/jobs/j1/status', 'devices/d1/x']);
  });

  it("routes retained messages, the broker's own publishes, and clients of another shape", async () => {
    const { routed, publish } = brokerRecordingRoutes();
    await publish(packet('devices/d1/presence', true), device([]));
    await publish(packet('devices/d1/state/desired'), null);
    await publish(packet('devices/d1/state/delta'), { id: 'x' });
    expect(routed).toEqual(['devices/d1/presence', 'devices/d1/state/desired', 'devices/d1/state/delta']);
  });

  it('never routes a packet the hooks authorized only to drop', async () => {
    const refused = packet('devices/d1/state/reported');
    const { routed, publish } = brokerRecordingRoutes([refused]);
    await publish(refused, device(['devices/d1/#']));
    expect(routed).toEqual([]);
  });
});
