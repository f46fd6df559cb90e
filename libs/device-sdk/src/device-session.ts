import { EventEmitter } from 'node:events';
import { type IClientOptions, type MqttClient, connect } from 'mqtt';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './backoff';

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3) after which retrying the same credential is pointless. */
const FATAL_CONNACK_CODES = new Set([2, 4, 5]);

export interface SessionOptions {
  url: string;
  deviceId: string;
  /** Sign-in by password; leave it out when the device signs in by the client certificate in `mqtt` (MQTTS). */
  password?: string;
  /** Topic filters (QoS 1) subscribed on every connect, before `online` is emitted. */
  subscriptions: string[];
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  backoff: BackoffOptions;
  /** A connection that lasted this long resets the backoff; a shorter one keeps growing it. */
  stableAfterMs: number;
  /** Keep retrying after the server refused the credential (CONNACK 2, 4, 5). */
  retryRefused: boolean;
  /**
   * Presence for brokers that do not tell the server about sessions (docs/protocol.md §7):
   * `online` is published retained after every CONNACK and `offline` is the CONNECT's Will
   * and the last message before a clean DISCONNECT.
   */
  presence?: { topic: string; online: string; offline: string };
  /** Extra mqtt.js options (TLS CA, WebSocket options, …). */
  mqtt?: IClientOptions;
}

export interface SessionEvents {
  /** CONNACK accepted; subscriptions not made yet. */
  connected: [];
  /** Connected and subscribed. */
  online: [];
  offline: [];
  message: [topic: string, payload: Buffer];
  /** The server refused the CONNECT with this return code; the session stops unless `retryRefused`. */
  refused: [code: number];
  error: [error: Error];
}

/**
 * One device's MQTT 3.1.1 session with its own reconnect loop: mqtt.js' `reconnectPeriod`
 * retries at a fixed period, which turns a server restart into a synchronised connect
 * storm, so every attempt here is a fresh client after a jittered exponential delay.
 * Clean sessions only: subscriptions are made again on every connect, and the retained
 * desired state and job documents arrive again with them.
 */
export class DeviceSession extends EventEmitter<SessionEvents> {
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private connectedAt = 0;
  private running = false;
  private isOnline = false;
  /** `online` was emitted and `offline` not yet: the two always come in pairs. */
  private announced = false;
  /** Ends an attempt that has not got as far as `online` in time (see `watch`). */
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly options: SessionOptions) {
    super();
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
  }

  get online(): boolean {
    return this.isOnline;
  }

  /** Starts connecting; `online` is emitted once connected and subscribed. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt();
  }

  /** Ends the session gracefully (DISCONNECT) and stops reconnecting. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    this.clearWatchdog();
    const client = this.client;
    this.client = null;
    if (client) {
      // A DISCONNECT discards the Will (MQTT 3.1.1 §3.14.4), so say it ourselves. Unacknowledged
      // in time, the connection is cut instead and the broker publishes the Will.
      const presence = this.options.presence;
      const acknowledged = presence && client.connected ? await this.publishAcknowledged(client, presence.topic, presence.offline) : true;
      await endClient(client, !acknowledged || !client.connected, this.options.connectTimeoutMs);
    }
    this.goOffline();
  }

  /** Drops the connection without DISCONNECT, as a network failure would; reconnects with backoff. */
  drop(): void {
    this.client?.end(true);
  }

  /** Publishes when connected; resolves true once acknowledged (QoS 1), false when it could not be sent. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<boolean> {
    const client = this.client;
    if (!client || !this.isOnline) return Promise.resolve(false);
    return new Promise((resolve) => client.publish(topic, payload, { qos }, (error) => resolve(!error)));
  }

  /** Adds a subscription now (if online) and on every later connect. */
  async subscribe(filter: string): Promise<void> {
    if (this.options.subscriptions.includes(filter)) return;
    this.options.subscriptions.push(filter);
    if (this.client && this.isOnline) await this.client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
  }

  /** Subscribes again to a filter already held: MQTT 3.1.1 §3.8.4 re-sends its retained messages. */
  async resubscribe(filter: string): Promise<void> {
    if (this.client && this.isOnline) await this.client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
  }

  /** QoS 1, retained; true once PUBACKed within the connect timeout. */
  private publishAcknowledged(client: MqttClient, topic: string, payload: string): Promise<boolean> {
    return new Promise((resolve) => {
      // A connection lost meanwhile never acknowledges it: no use waiting out the timeout.
      const settle = (acknowledged: boolean) => (clearTimeout(timer), client.off('close', lost), resolve(acknowledged));
      const lost = () => settle(false);
      const timer = setTimeout(lost, this.options.connectTimeoutMs);
      client.once('close', lost);
      client.publish(topic, payload, { qos: 1, retain: true }, (error) => settle(!error));
    });
  }

  private attempt(): void {
    const { url, deviceId, password, keepaliveSeconds, connectTimeoutMs, presence } = this.options;
    const client = connect(url, {
      ...this.options.mqtt,
      // MQTT 3.1.1 §3.1.2.5: the broker publishes the Will when the connection is lost without DISCONNECT.
      ...(presence ? { will: { topic: presence.topic, payload: Buffer.from(presence.offline), qos: 1, retain: true } } : {}),
      clientId: deviceId,
      ...(password === undefined ? {} : { username: deviceId, password }),
      protocolVersion: 4,
      clean: true,
      keepalive: keepaliveSeconds,
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
    });
    this.client = client;
    this.watch(client);
    let refusedCode: number | null = null;
    client.on('connect', () => void this.onConnect(client));
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && FATAL_CONNACK_CODES.has(code)) refusedCode = code;
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.clearWatchdog();
      if (this.connectedAt && Date.now() - this.connectedAt >= this.options.stableAfterMs) this.backoff.reset();
      this.connectedAt = 0;
      this.goOffline();
      if (refusedCode !== null) {
        this.emit('refused', refusedCode);
        if (!this.options.retryRefused) this.running = false;
      }
      if (this.running) this.schedule();
    });
  }

  private async onConnect(client: MqttClient): Promise<void> {
    this.connectedAt = Date.now();
    // Publishing is possible from CONNACK on; retained messages may arrive before the SUBACK.
    this.isOnline = true;
    if (this.client === client) this.watch(client);
    const presence = this.options.presence;
    if (presence) client.publish(presence.topic, presence.online, { qos: 1, retain: true });
    this.emit('connected');
    try {
      const granted = await client.subscribeAsync(this.options.subscriptions, { qos: 1 });
      const refused = granted.filter((grant) => grant.qos === 128).map((grant) => grant.topic);
      if (refused.length) this.emit('error', new Error(`subscription refused: ${refused.join(', ')}`));
    } catch {
      return; // the connection closed while subscribing; 'close' schedules the next attempt
    }
    if (this.client !== client || !client.connected) return;
    this.clearWatchdog();
    this.announced = true;
    this.emit('online');
  }

  private schedule(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) this.attempt();
    }, this.backoff.next());
  }

  /**
   * (Re)arms the attempt watchdog: the CONNACK, and then the SUBACK, must each come within the
   * connect timeout, or the connection is dropped and the next attempt scheduled. mqtt.js' own
   * `connectTimeout` covers only the CONNACK, and a SUBSCRIBE the server never answers left the
   * device connected but never `online`, with no retry, for as long as the TCP connection lived.
   */
  private watch(client: MqttClient): void {
    this.clearWatchdog();
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      if (this.client !== client) return;
      // 'close' follows and schedules the next attempt.
      client.end(true);
    }, this.options.connectTimeoutMs);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private goOffline(): void {
    if (!this.isOnline) return;
    this.isOnline = false;
    // Connected but never subscribed (the attempt failed before the SUBACK) was never `online`.
    if (!this.announced) return;
    this.announced = false;
    this.emit('offline');
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Ends a client: at once when `force`, else with DISCONNECT once every QoS 1 message in flight is
 * acknowledged. mqtt.js' `end()` keeps waiting for those acknowledgements when the connection is
 * lost meanwhile (the server closed it: another CONNECT with this client id took the session
 * over, a keep-alive timeout) and then never finishes — a device stopping to reboot into new
 * firmware waited for it forever and never came back. So the wait ends with the connection, or
 * after `graceMs`: what is still unacknowledged then fails (a job status is sent again after the
 * next connect) and the connection is dropped.
 */
function endClient(client: MqttClient, force: boolean, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('close', abandon);
      resolve();
    };
    const abandon = () => {
      for (const messageId of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(messageId));
      client.stream.destroy();
      done();
    };
    const timer = setTimeout(abandon, graceMs);
    client.once('close', abandon);
    client.end(force, () => done());
  });
}
