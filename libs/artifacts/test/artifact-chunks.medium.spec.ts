import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import { ArtifactAccess } from '@edgefleet/artifacts';
import { artifactChunkRequestTopic, artifactDataTopic, decodeArtifactChunk, deviceErrorsTopic } from '@edgefleet/contracts';
import { TestApp } from '../../../test/support/test-app';
import { connectDevice, waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';
import { firmwareFields, upload } from './support/upload';

const KIB = 1024;
let releaseFlood: () => void = () => undefined;
const floodGate = new Promise<void>((resolve) => (releaseFlood = resolve));

/** Stands in for the rollout feature: `chunk-ok*` and `chunk-flood` have a job for every artifact, nobody else does. */
@Injectable()
class TestFetchPolicy implements OnModuleInit {
  constructor(private readonly access: ArtifactAccess) {}

  onModuleInit(): void {
    this.access.registerFetchPolicy(async (deviceId) => {
      if (deviceId === 'chunk-flood') await floodGate;
      return deviceId.startsWith('chunk-ok') || deviceId === 'chunk-flood';
    });
  }
}

@Module({ providers: [TestFetchPolicy] })
class TestFetchPolicyModule {}

interface Received {
  data: Array<{ offset: number; bytes: Buffer }>;
  errors: Array<{ topic: string; message: string }>;
}

async function device(t: TestApp, id: string): Promise<{ client: MqttClient; received: Received }> {
  const registered = await t.request('POST', '/api/v1/devices', { id, type: 'cam' });
  const client = await connectDevice(t.broker.mqtt, { id, password: registered.body.credentials.password });
  const received: Received = { data: [], errors: [] };
  client.on('message', (topic, payload) => {
    if (topic === deviceErrorsTopic(id)) received.errors.push(JSON.parse(payload.toString()));
    else received.data.push(decodeArtifactChunk(payload));
  });
  await client.subscribeAsync([`devices/${id}/artifacts/+/data`, deviceErrorsTopic(id)], { qos: 1 });
  return { client, received };
}

describe('artifact chunks over MQTT (real broker)', () => {
  let t: TestApp;
  const content = randomBytes(200 * KIB + 17);
  let artifactId: string;
  const clients: MqttClient[] = [];
  const connect = async (id: string) => {
    const connected = await device(t, id);
    clients.push(connected.client);
    return connected;
  };
  const ask = (client: MqttClient, deviceId: string, payload: unknown) =>
    client.publishAsync(artifactChunkRequestTopic(deviceId, artifactId), JSON.stringify(payload), { qos: 1 });

  beforeAll(async () => {
    t = await TestApp.start({ FLEET_DATA_DIR: scratchDir('edgefleet-artifacts-') }, { broker: true, imports: [TestFetchPolicyModule] });
    artifactId = (await upload(t, firmwareFields('mqtt-fw', '1.0.0'), { content })).body.id;
  });
  afterAll(async () => {
    releaseFlood();
    await Promise.all(clients.map((client) => client.endAsync()));
    await t.stop();
  });

  it('answers {offset, length} with the 8-byte offset and those bytes, capped at 64 KiB, reassembling to the SHA-256', async () => {
    const { client, received } = await connect('chunk-ok');
    await ask(client, 'chunk-ok', { offset: 1000, length: 10 });
    const [first] = await waitFor(() => received.data, (data) => data.length === 1, 15_000);
    expect(first.offset).toBe(1000);
    expect(first.bytes.equals(content.subarray(1000, 1010))).toBe(true);

    const chunks: Buffer[] = [];
    let offset = 0;
    while (offset < content.length) {
      received.data.length = 0;
      await ask(client, 'chunk-ok', { offset, length: 1_000_000 });
      const [chunk] = await waitFor(() => received.data, (data) => data.length === 1, 15_000);
      expect(chunk.offset).toBe(offset);
      expect(chunk.bytes.length).toBe(Math.min(64 * KIB, content.length - offset));
      chunks.push(chunk.bytes);
      offset += chunk.bytes.length;
    }
    expect(chunks).toHaveLength(4);
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe((await t.request('GET', `/api/v1/artifacts/${artifactId}`)).body.sha256);
    expect(received.errors).toEqual([]);
  });

  it('refuses a malformed request and an offset past the end, on the errors topic', async () => {
    const { client, received } = await connect('chunk-ok-bad');
    await ask(client, 'chunk-ok-bad', { offset: -1, length: 10 });
    await ask(client, 'chunk-ok-bad', { offset: content.length, length: 10 });
    await client.publishAsync(artifactChunkRequestTopic('chunk-ok-bad', artifactId), 'not json', { qos: 1 });
    const errors = await waitFor(() => received.errors, (list) => list.length === 3, 15_000);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^offset: must be a whole number/),
      expect.stringMatching(/^offset: .* past the end/),
      expect.stringMatching(/JSON object/),
    ]);
    expect(received.data).toEqual([]);
  });

  it('refuses a device without a job for the artifact, on its errors topic', async () => {
    const { client, received } = await connect('chunk-nojob');
    await ask(client, 'chunk-nojob', { offset: 0, length: 100 });
    const [error] = await waitFor(() => received.errors, (errors) => errors.length === 1, 15_000);
    expect(error).toEqual({ topic: artifactChunkRequestTopic('chunk-nojob', artifactId), message: expect.stringContaining('no job for artifact') });
    expect(received.data).toEqual([]);
  });

  it('serves one request per device at a time with a short queue, refusing the rest', async () => {
    const { client, received } = await connect('chunk-flood');
    for (let i = 0; i < 10; i++) await ask(client, 'chunk-flood', { offset: i, length: 1 });
    // The first request is held by the fetch policy; four wait behind it, five are refused.
    const refused = await waitFor(() => received.errors, (errors) => errors.length === 5, 15_000);
    expect(refused.every((error) => /too many chunk requests/.test(error.message))).toBe(true);
    releaseFlood();
    const served = await waitFor(() => received.data, (data) => data.length === 5, 15_000);
    expect(served.map((chunk) => chunk.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(served.map((chunk) => chunk.bytes[0])).toEqual([...content.subarray(0, 5)]);
  });
});
