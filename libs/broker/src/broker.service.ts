// First: mqtt-packet (loaded by aedes) must find its debug loggers quieted.
import './quiet-packet-debug';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes';
import { CLUSTER_OPTIONS, type ClusterOptions, ClusterSignals } from '@edgefleet/cluster';
import { openFilesLimit } from '@edgefleet/common';
import { type DeviceErrorNotice, deviceErrorsTopic } from '@edgefleet/contracts';
import { HealthRegistry } from '@edgefleet/observability';
import { DeviceEvents, DeviceRepository } from '@edgefleet/registry';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';
import { type ConnectionHandler, type Listener, type TlsCredentials, listenTcp, listenTls, listenWebSocket } from './broker-listeners';
import { BrokerMetrics } from './broker-metrics';
import { forgetConnectPacket, useStreamlessParserBuffer } from './client-footprint';
import { REFUSAL_ROOM, connectionCap } from './connection-cap';
import { DeviceBrokerHooks } from './device-broker-hooks';
import { LiveSessions } from './live-sessions';
import { DeviceRetainedPersistence } from './device-retained-persistence';
import { packetSizeLimit } from './packet-size-limit';
import { answerUnknownProtocolLevel, refuseMalformedStrings } from './packet-text-checks';
import { PresenceWriter } from './presence-writer';
import { routeOnlyWanted } from './publish-routing';
import { SessionRevocations } from './session-revocations';
import { SocketBudget } from './socket-budget';

/** A device that stops reading is disconnected after this long rather than stalling delivery to others. */
const DRAIN_TIMEOUT_MS = 10_000;
/** MQTT 3.1.1 §3.1.3.1 lets the server accept client ids longer than 23; device ids go up to 128. */
const MAX_CLIENT_ID_LENGTH = 128;

/** A PUBLISH a device sent that passed the broker's rules (ACL, rate limit, size). */
export interface DevicePublish {
  deviceId: string;
  topic: string;
  payload: Buffer;
  packet: PublishPacket;
}

/** Handles a device PUBLISH; the device's acknowledgement waits for the returned promise. */
export type DevicePublishListener = (message: DevicePublish) => Promise<void> | void;

/** The embedded MQTT broker (aedes): device sessions, their rules, presence, and the listeners. */
@Injectable()
export class BrokerService implements OnModuleDestroy {
  private readonly logger = new Logger('Broker');
  private broker?: Aedes;
  private sockets?: SocketBudget;
  /** The accepted socket under each client's stream, for the socket budget. */
  private readonly socketOf = new WeakMap<Client, Socket>();
  private readonly listeners: Listener[] = [];
  private readonly persistence = new DeviceRetainedPersistence();
  private readonly onRemoteWake = (deviceIds: string[]): void => this.woken(deviceIds);
  /** Back on the signal connection after losing it: wake-ups sent meanwhile were missed, so every held device's desired state and jobs are re-read. */
  private readonly onSignalsResumed = (): void => {
    if (this.sessions.size) this.events.emit('refresh', this.sessions.deviceIds());
  };
  private readonly publishListeners = new Set<DevicePublishListener>();

  constructor(
    @Inject(BROKER_OPTIONS) private readonly options: BrokerOptions,
    private readonly hooks: DeviceBrokerHooks,
    private readonly sessions: LiveSessions,
    private readonly revocations: SessionRevocations,
    private readonly presence: PresenceWriter,
    private readonly metrics: BrokerMetrics,
    private readonly devices: DeviceRepository,
    private readonly events: DeviceEvents,
    private readonly health: HealthRegistry,
    private readonly signals: ClusterSignals,
    @Inject(CLUSTER_OPTIONS) private readonly cluster: ClusterOptions,
  ) {}

  /** Creates the broker (not yet listening). Devices left online by a crash are marked offline first. */
  async start(): Promise<void> {
    if (this.broker) return;
    // A lone server held every session; a cluster node only its own (the others' are theirs, or swept when they die).
    const stale = this.cluster.joined ? await this.devices.markOfflineHeldBy(this.cluster.nodeId) : await this.devices.markAllOffline();
    if (stale) this.logger.log(`marked ${stale} device(s) offline left over from the last run`);
    const maxConnections = connectionCap(this.options.maxConnections, openFilesLimit());
    if (maxConnections < this.options.maxConnections) {
      this.logger.warn(`MQTT_MAX_CONNECTIONS ${this.options.maxConnections} lowered to ${maxConnections} to fit the open-files limit (ulimit -n); raise it for more devices`);
    }
    const sockets = new SocketBudget(maxConnections + REFUSAL_ROOM, this.options.connectTimeoutMs, (reason) => this.metrics.closedConnections.inc({ reason }));
    const broker = await Aedes.createBroker({
      drainTimeout: DRAIN_TIMEOUT_MS,
      connectTimeout: this.options.connectTimeoutMs,
      preConnect: (client, _packet, done) => {
        const socket = this.socketOf.get(client);
        if (socket) sockets.connectArrived(socket);
        done(null, true);
      },
      persistence: this.persistence as unknown as AedesOptions['persistence'],
      maxClientsIdLength: MAX_CLIENT_ID_LENGTH,
      ...this.hooks.create({
        connectedClients: () => broker.connectedClients,
        maxConnections,
        notify: (deviceId, notice) => this.notify(deviceId, notice),
        accepted: (client, packet) => this.handOver({ deviceId: client.id, topic: packet.topic, payload: packet.payload as Buffer, packet }),
      }),
    });
    routeOnlyWanted(broker, (packet) => this.hooks.isDropped(packet));
    broker.on('client', (client) => this.sessionOpened(client));
    broker.on('clientDisconnect', (client) => this.sessionClosed(client));
    broker.on('clientError', (client, error) => this.logger.debug?.(`client '${client.id}': ${error.message}`));
    broker.on('connectionError', (_client, error) => this.logger.debug?.(`connection: ${error.message}`));
    (broker as unknown as NodeJS.EventEmitter).on('error', (error: Error) => this.logger.error(`broker: ${error.message}`));
    this.broker = broker;
    this.sockets = sockets;
    this.hooks.ingestGate.start();
    this.metrics.countConnectedWith(() => broker.connectedClients);
    this.metrics.countSocketsWith({ open: () => sockets.openSockets, waiting: () => sockets.waitingSockets });
    this.revocations.start();
    this.signals.on('wake', this.onRemoteWake);
    this.signals.on('resumed', this.onSignalsResumed);
    this.health.register('broker', () =>
      broker.closed ? { status: 'down' } : { status: 'up', clients: broker.connectedClients },
    );
  }

  /** MQTT over TCP; resolves with the bound URL (`mqtt://host:port`). */
  async listenTcp(host: string, port: number): Promise<string> {
    return this.track(await listenTcp(host, port, this.connectionHandler()));
  }

  async listenWebSocket(host: string, port: number): Promise<string> {
    return this.track(await listenWebSocket(host, port, this.options.maxPacketBytes, this.connectionHandler()));
  }

  /** MQTT over TLS, asking devices for a client certificate (CONTRACT §9). */
  async listenTls(host: string, port: number, tls: TlsCredentials): Promise<string> {
    return this.track(await listenTls(host, port, tls, this.connectionHandler()));
  }

  /** Publishes from the server to whoever subscribed (no device rules apply: the server may address any device). */
  publish(topic: string, payload: Buffer | string, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(new Error('the broker is not running'));
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: options.qos ?? 0, retain: options.retain ?? false, dup: false } satisfies PublishPacket;
    // Never inside aedes' handling of a device's packet (a direct device route runs there):
    // a QoS 1 message published re-entrantly was never delivered.
    return new Promise((resolve, reject) => queueMicrotask(() => broker.publish(packet, (error) => (error ? reject(error) : resolve()))));
  }

  /**
   * Every device PUBLISH the broker accepted, in the order each device sent them, before it is
   * routed to subscribers and acknowledged; returns the unsubscribe.
   */
  onDevicePublish(listener: DevicePublishListener): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /** Whether this node holds the device's live session. */
  holds(deviceId: string): boolean {
    return this.sessions.has(deviceId);
  }

  /** Topics this node's broker retains for the device. */
  retainedTopics(deviceId: string): string[] {
    return this.persistence.retainedTopics(deviceId);
  }

  get connectedClients(): number {
    return this.broker?.connectedClients ?? 0;
  }

  /**
   * A draining cluster node closes its sessions one by one at random times within `windowMs`, so
   * the load balancer spreads their reconnects over the other nodes. Each close is an ordinary
   * disconnect: its offline write counts only while this node still holds the session, so a device
   * already back at another node stays online there.
   */
  private async closeSessionsSpread(windowMs: number): Promise<void> {
    const sessions = this.sessions.all();
    if (windowMs <= 0 || sessions.length === 0) return;
    this.logger.log(`draining: closing ${sessions.length} device session(s) over ${windowMs} ms`);
    await Promise.all(
      sessions.map(
        (session) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              session.close();
              resolve();
            }, Math.random() * windowMs);
          }),
      ),
    );
    await this.presence.flush();
  }

  /** Stop accepting, close every session (recording them offline), write presence out. Safe to call twice. */
  async stop(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    this.revocations.stop();
    this.signals.off('wake', this.onRemoteWake);
    this.signals.off('resumed', this.onSignalsResumed);
    for (const listener of this.listeners) listener.stopAccepting();
    await this.closeSessionsSpread(this.cluster.drainMs);
    this.hooks.ingestGate.stop();
    this.sockets?.stop();
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await Promise.all(this.listeners.splice(0).map((listener) => listener.close()));
    await this.presence.flush();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /**
   * Rejects when a listener rejects: the message was not handled, so it is refused, and aedes
   * closes the connection without a PUBACK (MQTT 3.1.1 §3.3.5); the device sends it again
   * after reconnecting (§4.4).
   */
  private handOver(message: DevicePublish): Promise<void> | void {
    const listeners = this.publishListeners.values();
    // Synchronous while listeners return nothing (QoS 0 ingest): no promise or microtask per message.
    for (let next = listeners.next(); !next.done; next = listeners.next()) {
      const pending = next.value(message);
      if (pending) return pending.then(() => handOverRest(listeners, message));
    }
  }

  private connectionHandler(): ConnectionHandler {
    const limitPacketSize = packetSizeLimit(this.options.maxPacketBytes, (client, length) => {
      this.metrics.droppedMessages.inc({ reason: 'too-large' });
      this.logger.warn(`closing '${client.id ?? 'unidentified client'}': packet of ${length} bytes exceeds MQTT_MAX_PACKET_BYTES`);
    });
    return {
      admit: (socket: Socket) => {
        if (this.sockets) return this.sockets.admit(socket);
        socket.destroy();
        return false;
      },
      handle: (stream: Duplex, socket: Socket, request?: IncomingMessage) => {
        const broker = this.broker;
        if (!broker) return void stream.destroy();
        const client = broker.handle(stream, request);
        this.socketOf.set(client, socket);
        useStreamlessParserBuffer(client);
        limitPacketSize(client);
        refuseMalformedStrings(client);
        answerUnknownProtocolLevel(client);
      },
    };
  }

  private track(listener: Listener): string {
    this.listeners.push(listener);
    return listener.url;
  }

  private sessionOpened(client: Client): void {
    // A claim session is not a device: no presence, and its client id is never a device id.
    if (this.hooks.isClaimSession(client)) return;
    if (this.revocations.revokedSince(client)) return void client.close();
    forgetConnectPacket(client);
    const now = Date.now();
    this.sessions.add(client, now);
    this.presence.record(client.id, true, new Date(now), true);
    this.revocations.opened(client, now);
    this.events.emit('connected', client.id);
  }

  /** Also called on keep-alive timeout (MQTT 3.1.1 §3.1.2.10), which aedes ends as a disconnect. */
  private sessionClosed(client: Client): void {
    // A newer session for the same id (MQTT 3.1.1 §3.1.4-2 takeover) owns the presence now.
    if (!this.sessions.remove(client)) return;
    this.presence.record(client.id, false);
    this.events.emit('disconnected', client.id);
  }

  /**
   * Another node changed what these devices should get. Held here: the features re-read it from
   * the database and send it ('refresh'). Not held: what this node retained for them may be
   * stale, so it is dropped; a connect here republishes from the database.
   */
  private woken(deviceIds: string[]): void {
    const held = deviceIds.filter((deviceId) => this.sessions.has(deviceId));
    for (const deviceId of deviceIds) if (!this.sessions.has(deviceId)) this.persistence.forgetDevice(deviceId);
    if (held.length) this.events.emit('refresh', held);
    if (held.length < deviceIds.length) this.events.emit('elsewhere', deviceIds.filter((deviceId) => !this.sessions.has(deviceId)));
  }

  private notify(deviceId: string, notice: DeviceErrorNotice): void {
    this.publish(deviceErrorsTopic(deviceId), JSON.stringify(notice)).catch((error: Error) =>
      this.logger.warn(`notice to '${deviceId}' failed: ${error.message}`),
    );
  }
}

/** The listeners after one that returned a promise, one after another. */
async function handOverRest(listeners: Iterator<DevicePublishListener>, message: DevicePublish): Promise<void> {
  for (let next = listeners.next(); !next.done; next = listeners.next()) await next.value(message);
}
