import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AedesOptions, AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import { FailureThrottle } from '@edgefleet/common';
import { type DeviceErrorNotice, isDeviceTopicFilter } from '@edgefleet/contracts';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';
import { BrokerMetrics } from './broker-metrics';
import {
  ConnackCode,
  type ConnectRefusal,
  clientIdIsDeviceId,
  clientIdIsUsername,
  deviceIsRegistered,
  hasCredentials,
  isAuthenticationFailure,
  passwordMatches,
  runConnectChecks,
  withinCapacity,
} from './connect-checks';
import { CredentialCache } from './credential-cache';
import { IngestGate } from './ingest-gate';
import { topicIsOwn, runPublishChecks, withinRateLimit } from './publish-checks';
import { PublishRateLimiter } from './publish-rate-limiter';
import { RevocationGuard } from './revocation-guard';

/**
 * Overload is a loop that runs late by hundreds of ms and more; a normally loaded server has
 * single late ticks of 50–150 ms (a twin flush, a GC), and holding publishes at each of those
 * put a hold's wait on 1–5 % of reports (bench:ingest, send → merge p99 130–210 ms held at
 * 50 ms, 45–75 ms not held). While the loop lags, held publishes are released 5 ms at a time
 * (a few hundred at ~15 µs each in aedes plus the gateway), one slice per tick; once it keeps
 * time, 25 ms at a time with I/O between slices, so the backlog drains faster than devices add
 * to it.
 */
const INGEST_GATE = { maxLagMs: 200, releaseSliceMs: 5, drainSliceMs: 25 };
/** Source addresses the failed-authentication throttle remembers (~150 bytes each). */
const MAX_THROTTLED_SOURCES = 10_000;

export type BrokerHooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export interface HookContext {
  connectedClients(): number;
  /** MQTT_MAX_CONNECTIONS as lowered to fit the open-files limit. */
  maxConnections: number;
  /** Hands an authorized device PUBLISH to the server; handled on return, or once the returned promise settles. */
  accepted(client: Client, packet: PublishPacket): Promise<void> | void;
  notify(deviceId: string, notice: DeviceErrorNotice): void;
}

/** The device rules of CONTRACT §3 as aedes hooks, each a composition of small named checks. */
@Injectable()
export class DeviceBrokerHooks {
  private readonly logger = new Logger('Broker');
  readonly revocations = new RevocationGuard<Client>();
  readonly ingestGate: IngestGate;
  private readonly throttle: FailureThrottle;
  /** PUBLISH packets authorized only to be dropped; see `isDropped`. */
  private readonly dropped = new WeakSet<object>();
  private readonly connectChecks;
  private readonly publishChecks;

  constructor(
    credentials: CredentialCache,
    private readonly metrics: BrokerMetrics,
    @Inject(BROKER_OPTIONS) private readonly options: BrokerOptions,
  ) {
    this.connectChecks = [hasCredentials, clientIdIsDeviceId, clientIdIsUsername, deviceIsRegistered((id) => credentials.lookup(id)), passwordMatches];
    const limiter = new PublishRateLimiter<Client>(options.rateLimit.perSecond, options.rateLimit.burst);
    this.publishChecks = [topicIsOwn, withinRateLimit(limiter)];
    this.ingestGate = new IngestGate(INGEST_GATE, () => metrics.heldMessages.inc());
    this.throttle = new FailureThrottle({ ...options.authThrottle, maxSources: MAX_THROTTLED_SOURCES });
    metrics.countThrottledSourcesWith(() => this.throttle.size);
  }

  /**
   * MQTT 3.1.1 §3.3.5 [MQTT-3.3.5-2]: a server that does not authorize a PUBLISH must either
   * acknowledge it as usual or close the connection. aedes closes the connection when
   * authorizePublish fails, so a refused packet is authorized, acknowledged and then not routed.
   */
  isDropped(packet: object): boolean {
    return this.dropped.has(packet);
  }

  create(context: HookContext): BrokerHooks {
    const { metrics, options, logger } = this;
    // Capacity first: the cheapest refusal, before any database work.
    const connectChecks = [withinCapacity(context.connectedClients, context.maxConnections), ...this.connectChecks];

    const { throttle } = this;
    const authenticate: BrokerHooks['authenticate'] = (client, username, password, done) => {
      const source = sourceAddress(client);
      // Refused before any lookup: failures from one address cannot keep the credential queries busy.
      if (throttle.retryAfterMs(source) > 0) {
        return done(refuse({ code: ConnackCode.ServerUnavailable, reason: 'throttled', message: 'too many failed attempts from this address' }, metrics), false);
      }
      runConnectChecks(connectChecks, { clientId: client.id, username: username ?? undefined, password: password ?? undefined }).then(
        (refusal) => {
          if (refusal) {
            if (isAuthenticationFailure(refusal)) throttle.failed(source);
            return done(refuse(refusal, metrics), false);
          }
          throttle.succeeded(source);
          this.revocations.authenticated(client);
          metrics.connects.inc();
          done(null, true);
        },
        (error: unknown) => {
          logger.error(`authenticating '${client.id}' failed: ${(error as Error).message}`);
          done(refuse({ code: ConnackCode.ServerUnavailable, reason: 'error', message: 'server unavailable' }, metrics), false);
        },
      );
    };

    const notHandled = metrics.droppedMessages.labels('not-handled');
    const handOver = (client: Client, packet: PublishPacket, done: (error?: Error | null) => void): void => {
      let pending;
      try {
        pending = context.accepted(client, packet);
      } catch (error) {
        pending = Promise.reject(error as Error);
      }
      if (!pending) return done(null);
      pending.then(
        () => done(null),
        (error: Error) => {
          notHandled.inc();
          logger.warn(`closing '${client.id}': ${error.message}`);
          done(error);
        },
      );
    };

    const authorizePublish = (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void => {
      // A null client is the broker publishing a stored will; devices' wills went through here when set.
      if (!client) return done(null);
      const refusal = runPublishChecks(this.publishChecks, { session: client, deviceId: client.id, topic: packet.topic });
      if (!refusal) {
        metrics.messagesIn.inc();
        // aedes sends PUBACK (QoS 1) only after this callback (MQTT 3.1.1 §4.3.2): a message
        // acknowledged after handling is acknowledged once the server has handled it, so a crash
        // or a failure before then makes the device send it again rather than losing it.
        return this.ingestGate.admit(client, () => handOver(client, packet, done));
      }
      this.dropped.add(packet);
      metrics.droppedMessages.inc({ reason: refusal.reason });
      if (refusal.notify) context.notify(client.id, { topic: packet.topic, message: refusal.message });
      done(null);
    };

    const authorizeSubscribe = (client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void => {
      if (isDeviceTopicFilter(client.id, subscription.topic)) return done(null, subscription);
      // MQTT 3.1.1 §3.9.3: a null subscription is answered with return code 0x80 (Failure) in SUBACK.
      metrics.refusedSubscriptions.inc();
      done(null, null);
    };

    const outboundQueueFull = metrics.closedConnections.labels('outbound-queue');
    const authorizeForward = (client: Client, packet: AedesPublishPacket): AedesPublishPacket | undefined => {
      // aedes writes every delivery to the stream at once and only then waits for 'drain', so a
      // client that stops reading holds all it was sent in memory (108 MB in 10 s in issue #15).
      // Its queue is bounded by the cap plus one packet; the others' deliveries never wait on it.
      const queued = client.conn.writableLength;
      if (queued > options.maxOutboundBytes) {
        if (!client.conn.destroyed) {
          outboundQueueFull.inc();
          logger.warn(`closing '${client.id}': ${queued} bytes queued to it unread, over MQTT_MAX_OUTBOUND_KB`);
          client.conn.destroy();
        }
        return undefined;
      }
      metrics.messagesOut.inc();
      return packet;
    };

    return { authenticate, authorizePublish, authorizeSubscribe, authorizeForward };
  }
}

/** The peer address of the accepted socket (for WebSocket, the HTTP request's). */
function sourceAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
}

function refuse(refusal: ConnectRefusal, metrics: BrokerMetrics): Error & { returnCode: number } {
  metrics.refusedConnects.inc({ reason: refusal.reason });
  return Object.assign(new Error(refusal.message), { returnCode: refusal.code });
}
