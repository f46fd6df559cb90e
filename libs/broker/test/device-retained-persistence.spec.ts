import type { Readable } from 'node:stream';
import { DeviceRetainedPersistence } from '../src/device-retained-persistence';

async function topics(stream: Readable): Promise<string[]> {
  const found: string[] = [];
  for await (const packet of stream) found.push((packet as { topic: string }).topic);
  return found.sort();
}

describe('DeviceRetainedPersistence', () => {
  let store: DeviceRetainedPersistence;
  const retain = (topic: string, payload = 'x') => store.storeRetained({ topic, payload: Buffer.from(payload) });

  beforeEach(async () => {
    store = new DeviceRetainedPersistence();
    for (const topic of ['devices/d1/state/desired', 'devices/d1/jobs/j1', 'devices/d1/jobs/j2', 'devices/d2/jobs/j3', 'devices/d10/jobs/j4', 'fleet', '$SYS/uptime']) {
      await retain(topic);
    }
  });

  it('answers a device filter from that device alone, with MQTT wildcards', async () => {
    expect(await topics(store.createRetainedStream('devices/d1/jobs/+'))).toEqual(['devices/d1/jobs/j1', 'devices/d1/jobs/j2']);
    expect(await topics(store.createRetainedStream('devices/d1/#'))).toEqual(['devices/d1/jobs/j1', 'devices/d1/jobs/j2', 'devices/d1/state/desired']);
    expect(await topics(store.createRetainedStream('devices/d1/jobs/j2'))).toEqual(['devices/d1/jobs/j2']);
    expect(await topics(store.createRetainedStream('devices/d3/#'))).toEqual([]);
  });

  it('scans every device for wildcards in the first two levels, and keeps `$` topics out of leading wildcards', async () => {
    expect(await topics(store.createRetainedStream('devices/+/jobs/+'))).toEqual(['devices/d1/jobs/j1', 'devices/d1/jobs/j2', 'devices/d10/jobs/j4', 'devices/d2/jobs/j3']);
    expect(await topics(store.createRetainedStream('#'))).toHaveLength(6);
    expect(await topics(store.createRetainedStream('$SYS/#'))).toEqual(['$SYS/uptime']);
    expect(await topics(store.createRetainedStream('fleet'))).toEqual(['fleet']);
  });

  it('replaces a retained message on the same topic and removes it on an empty payload', async () => {
    await retain('devices/d1/jobs/j1', 'second');
    const [packet] = await new Promise<Array<{ payload: Buffer }>>((resolve) => {
      const found: Array<{ payload: Buffer }> = [];
      store.createRetainedStream('devices/d1/jobs/j1').on('data', (p) => found.push(p)).on('end', () => resolve(found));
    });
    expect(packet.payload.toString()).toBe('second');
    await retain('devices/d1/jobs/j1', '');
    await retain('devices/d2/jobs/j3', '');
    expect(await topics(store.createRetainedStream('devices/+/jobs/+'))).toEqual(['devices/d1/jobs/j2', 'devices/d10/jobs/j4']);
  });

  it('combines several filters of one SUBSCRIBE', async () => {
    expect(await topics(store.createRetainedStreamCombi(['devices/d2/jobs/+', 'devices/d1/state/desired']))).toEqual(['devices/d1/state/desired', 'devices/d2/jobs/j3']);
  });
});
