import { type Server, type Socket, createServer, connect as connectTcp } from 'node:net';
import { type MqttClient, connectAsync } from 'mqtt';
import { DeviceClient } from '@edgefleet/device-sdk';
import { TestApp } from '../../../test/support/test-app';
import { type Mosquitto, startMosquitto } from '../../../test/support/mosquitto';
import { sleep, waitFor } from '../../../test/support/mqtt-device';

/** A TCP hop between a device and the broker that the test can cut (no DISCONNECT, as a network failure) and restore. */
class Link {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly target: URL) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connectTcp(Number(this.target.port), this.target.hostname);
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/**
 * Presence behind an external broker (docs/protocol.md §7) with a real Mosquitto: the broker
 * tells the server nothing about sessions, so what the API shows comes from the SDK's
 * announcements and its Last Will alone.
 */
describe('device SDK presence through an external broker (real Mosquitto)', () => {
  let mosquitto: Mosquitto;
  let t: TestApp;
  let observer: MqttClient;
  const presence: Array<{ topic: string; payload: string; retain: boolean; qos: number }> = [];
  const clients: DeviceClient[] = [];
  const links: Link[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    t = await TestApp.start({ BROKER_URL: mosquitto.url }, { broker: true });
    // Mosquitto here allows anyone everything, so a test client can watch a device's presence topic.
    observer = await connectAsync(mosquitto.url, { clientId: 'presence-observer', protocolVersion: 4, reconnectPeriod: 0 });
    observer.on('message', (topic, payload, packet) => presence.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }));
    await observer.subscribeAsync('devices/+/presence', { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.all(links.map((link) => link.cut()));
    await observer?.endAsync(true);
    await t?.stop();
    await mosquitto?.stop();
  });

  async function device(id: string, url: string): Promise<DeviceClient> {
    const res = await t.request('POST', '/api/v1/devices', { id, type: 'sensor' });
    expect(res.status).toBe(201);
    const client = new DeviceClient({ url, deviceId: id, password: res.body.credentials.password, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    clients.push(client);
    return client;
  }
  const statusOf = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}`)).body.status as string;
  const announced = (id: string) => presence.filter((message) => message.topic === `devices/${id}/presence`);

  it('shows online after connect, and offline through its Last Will when the connection is cut', async () => {
    const link = new Link(new URL(mosquitto.url));
    links.push(link);
    await link.open();
    const client = await device('sdk-presence-1', link.url);
    await client.start();
    await waitFor(() => statusOf('sdk-presence-1'), (status) => status === 'online');
    expect(announced('sdk-presence-1')).toEqual([{ topic: 'devices/sdk-presence-1/presence', payload: '{"online":true}', retain: false, qos: 1 }]);

    // The link is gone and stays gone: only the broker, publishing the Will, can say so.
    await link.cut();
    await waitFor(() => statusOf('sdk-presence-1'), (status) => status === 'offline', 10_000);
    expect(announced('sdk-presence-1').map((message) => message.payload)).toEqual(['{"online":true}', '{"online":false}']);

    // Back on the network: announced again after the new CONNECT.
    await link.open();
    await waitFor(() => statusOf('sdk-presence-1'), (status) => status === 'online', 10_000);
    expect(announced('sdk-presence-1').map((message) => message.payload)).toEqual(['{"online":true}', '{"online":false}', '{"online":true}']);
  });

  it('says offline itself before a clean disconnect, which discards the Will', async () => {
    const client = await device('sdk-presence-2', mosquitto.url);
    await client.start();
    await waitFor(() => statusOf('sdk-presence-2'), (status) => status === 'online');
    await client.stop();
    await waitFor(() => statusOf('sdk-presence-2'), (status) => status === 'offline');

    // What a device subscribing later finds retained is the last word: offline.
    const late = await connectAsync(mosquitto.url, { clientId: 'presence-late', protocolVersion: 4, reconnectPeriod: 0 });
    const retained: string[] = [];
    late.on('message', (_topic, payload, packet) => packet.retain && retained.push(payload.toString()));
    await late.subscribeAsync('devices/sdk-presence-2/presence', { qos: 1 });
    await sleep(200);
    await late.endAsync(true);
    expect(retained).toEqual(['{"online":false}']);
    expect(announced('sdk-presence-2').map((message) => message.payload)).toEqual(['{"online":true}', '{"online":false}']);
  });
});
