import { readFileSync, rmSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import type { MqttClient } from 'mqtt';
import { TestApp } from '../../../test/support/test-app';
import { loopbackServerCertificate } from '../../../test/support/openssl';
import { scratchDir } from '../../../test/support/scratch-dir';
import { collect, connectDevice, waitFor } from '../../../test/support/mqtt-device';

function openSilent(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

const socketClosed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('embedded broker: sockets count against the cap before CONNECT', () => {
  const dir = scratchDir('edgefleet-socket-limits-');
  const { cert, key } = loopbackServerCertificate(dir);
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(
      { MQTT_MAX_CONNECTIONS: '4', MQTT_CONNECT_TIMEOUT_MS: '1000', MQTTS_PORT: '0', MQTT_TLS_CERT: cert, MQTT_TLS_KEY: key },
      { broker: true },
    );
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const metrics = async () => (await t.request('GET', '/metrics', undefined, null)).body as string;
  const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await metrics())?.[1]);
  const closedFor = async (reason: string) => Number(new RegExp(`edgefleet_mqtt_connections_closed_total\\{reason="${reason}"\\} (\\d+)`).exec(await metrics())?.[1]);

  it('closes a socket that sends no CONNECT within MQTT_CONNECT_TIMEOUT_MS, on TCP, WebSocket and TLS alike', async () => {
    const before = await closedFor('connect-timeout');
    const silent = await Promise.all([openSilent(t.broker.mqtt), openSilent(t.broker.ws!.replace('ws:', 'http:')), openSilent(t.broker.mqtts!.replace('mqtts:', 'tcp:'))]);
    await waitFor(() => gauge('edgefleet_mqtt_sockets_awaiting_connect'), (n) => n === 3);
    const started = Date.now();
    await Promise.all(silent.map(socketClosed));
    // aedes' own default would have waited 30 s.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await closedFor('connect-timeout')).toBe(before + 3);
    await waitFor(() => gauge('edgefleet_mqtt_open_sockets'), (n) => n === 0);
  });

  it('lets an honest device in past a cap full of silent sockets by closing the one silent longest', async () => {
    const honest = await t.registerDevice('honest-1');
    // The cap (4) plus the room kept for answering 0x03 (64): every one of them silent.
    const silent = await Promise.all(Array.from({ length: 4 + 64 }, (_, i) => openSilent(i % 2 ? t.broker.mqtt : t.broker.ws!.replace('ws:', 'http:'))));
    await waitFor(() => gauge('edgefleet_mqtt_open_sockets'), (n) => n === 68);
    const evictedBefore = await closedFor('evicted');

    const client = await connectDevice(t.broker.mqtt, honest);
    expect(client.connected).toBe(true);
    await socketClosed(silent[0]);
    expect(await closedFor('evicted')).toBe(evictedBefore + 1);
    expect(await gauge('edgefleet_mqtt_open_sockets')).toBe(68);
    // The device is a session now: the deadline for CONNECT no longer applies to it.
    await Promise.all(silent.slice(1).map(socketClosed));
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('still answers 0x03 at the session cap, and a TLS device gets in beside silent sockets', async () => {
    const logins = await Promise.all(['full-1', 'full-2', 'full-3', 'full-4', 'full-5'].map((id) => t.registerDevice(id)));
    const sessions = await Promise.all(logins.slice(0, 4).map((login) => connectDevice(t.broker.mqtt, login)));
    await expect(connectDevice(t.broker.mqtt, logins[4])).rejects.toMatchObject({ code: 3 });
    await sessions[3].endAsync();
    const silent = await openSilent(t.broker.mqtts!.replace('mqtts:', 'tcp:'));
    const tls = await connectDevice(t.broker.mqtts!, logins[4], { ca: readFileSync(cert) });
    expect(tls.connected).toBe(true);
    silent.destroy();
    await Promise.all([...sessions.slice(0, 3), tls].map((client) => client.endAsync()));
  });
});

describe('embedded broker: per-client outbound queue cap', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await TestApp.start(
        { MQTT_MAX_OUTBOUND_KB: '256', MQTT_MAX_PACKET_BYTES: '131072', MQTT_RATE_LIMIT_PER_SEC: '10000', MQTT_RATE_LIMIT_BURST: '10000' },
        { broker: true },
      )),
  );
  afterAll(() => t.stop());

  const closedFor = async (reason: string) =>
    Number(new RegExp(`edgefleet_mqtt_connections_closed_total\\{reason="${reason}"\\} (\\d+)`).exec((await t.request('GET', '/metrics', undefined, null)).body)?.[1]);

  it('disconnects a device that stops reading once its queue passes MQTT_MAX_OUTBOUND_KB, and only it', async () => {
    const stuck = await connectDevice(t.broker.mqtt, await t.registerDevice('stuck-1'));
    const reader = await connectDevice(t.broker.mqtt, await t.registerDevice('reader-1'));
    const received = collect(reader);
    await stuck.subscribeAsync('devices/stuck-1/#');
    await reader.subscribeAsync('devices/reader-1/#');

    // The stuck device stops reading its socket but keeps publishing 100 KB messages it is subscribed to.
    const stream = (stuck as MqttClient & { stream: Socket }).stream;
    stream.unpipe();
    stream.pause();
    const big = Buffer.alloc(100 * 1024, 'x');
    const blast = setInterval(() => {
      for (let i = 0; i < 20; i++) stuck.publish('devices/stuck-1/telemetry', big, { qos: 0 });
      reader.publish('devices/reader-1/telemetry', 'tick', { qos: 0 });
    }, 20);
    try {
      // Well before aedes' drain timeout (10 s) would have ended it.
      await waitFor(() => closedFor('outbound-queue'), (n) => n === 1, 5_000);
      const seen = received.length;
      await waitFor(() => received.length, (n) => n >= seen + 10);
    } finally {
      clearInterval(blast);
    }
    expect(reader.connected).toBe(true);
    await reader.endAsync();
    stuck.end(true);
  });
});
