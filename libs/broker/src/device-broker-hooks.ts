import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AedesOptions, AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import { FailureThrottle } from '@edgefleet/common';
import { CLAIM_USERNAME_PREFIX, type DeviceErrorNotice, claimNonceOf, claimRequestTopic, claimResponseTopic, isDeviceTopicFilter } from '@edgefleet/contracts';
import { CertificateAutoRegistration, CertificateVerifier, DeviceCertificateService, ProvisioningClaimService } from '@edgefleet/identity';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';
import { BrokerMetrics } from './broker-metrics';
import {
  ConnackCode,
  type ConnectAttempt,
  type ConnectCheck,
  type ConnectRefusal,
  certificateIsValid,
  claimHolds,
  clientIdIsDeviceId,
  clientIdIsUsername,
  deviceIsRegistered,
  hasCredentials,
  isAuthenticationFailure,
  methodAllowed,
  passwordMatches,
  usernameIsClientIdIfSent,
  runConnectChecks,
  withinCapacity,
} from './connect-checks';
import { CredentialCache } from './credential-cache';
import { IngestGate } from './ingest-gate';
import { type PublishCheck, topicIsOwn, runPublishChecks, withinRateLimit } from './publish-checks';
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

/** A PUBLISH sent right behind its CONNECT waits at most this long for the CONNECT to be accepted (aedes' own CONNECT timeout is 30 s). */
const CONNECT_WAIT_MS = 30_000;

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
  /** The certificate fingerprint each session signed in with, so revoking it closes just that session. */
  private readonly signedInWith = new WeakMap<Client, string>();
  /** The trusted CA each certificate session's chain ended at, so removing that CA closes the session. */
  private readonly anchoredAt = new WeakMap<Client, string>();
  /** The password hash each password session signed in with, so the session sweep sees a rotation it was not told of. */
  private readonly passwordHashOf = new WeakMap<Client, string>();
  /** Claim sessions and the one topic each may publish to and subscribe to: not devices, so no presence either. */
  private readonly claimSessions = new WeakMap<Client, { request: string; response: string }>();
  private readonly passwordChecks: ConnectCheck[];
  private readonly certificateChecks: ConnectCheck[];
  private readonly claimChecks: ConnectCheck[];
  private readonly publishChecks;
  /** A claim session: its own request topic only, within the same per-session rate limit (each request costs queries and a signature). */
  private readonly claimPublishChecks;

  constructor(
    credentials: CredentialCache,
    private readonly verifier: CertificateVerifier,
    autoRegistration: CertificateAutoRegistration,
    private readonly certificates: DeviceCertificateService,
    claims: ProvisioningClaimService,
    private readonly metrics: BrokerMetrics,
    @Inject(BROKER_OPTIONS) private readonly options: BrokerOptions,
  ) {
    const lookup = (id: string) => credentials.lookup(id);
    this.passwordChecks = [hasCredentials, clientIdIsDeviceId, clientIdIsUsername, deviceIsRegistered(lookup), methodAllowed('password'), passwordMatches];
    const register = ({ clientId, certificate }: ConnectAttempt) =>
      autoRegistration.register(clientId, certificate!.issuer, certificate!.facts, certificate!.certificate.toString());
    this.certificateChecks = [
      clientIdIsDeviceId,
      usernameIsClientIdIfSent,
      certificateIsValid((certificate, clientId, resumed) => verifier.verify(certificate, clientId, resumed)),
      deviceIsRegistered(lookup, register),
      methodAllowed('certificate'),
    ];
    // Not clientIdIsDeviceId: a claim session's client id is `claim/{nonce}`, never a device id.
    this.claimChecks = [hasCredentials, claimHolds((claimId, secret) => claims.check(claimId, secret))];
    const limiter = new PublishRateLimiter<Client>(options.rateLimit.perSecond, options.rateLimit.burst);
    this.publishChecks = [topicIsOwn, withinRateLimit(limiter)];
    this.claimPublishChecks = [isClaimRequest(this.claimSessions), withinRateLimit(limiter)];
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

  /** Whether the session signed in with a certificate that has been revoked since. */
  usesRevokedCertificate(client: Client): boolean {
    const fingerprint = this.signedInWith.get(client);
    return fingerprint !== undefined && this.verifier.isRevoked(fingerprint);
  }

  /**
   * Whether the session signed in with a certificate whose CA has been removed since. Its
   * chain is checked again against the trusted set first: another trusted CA (the same key
   * under a reissued certificate) may still vouch for it.
   */
  lostItsCa(client: Client): boolean {
    const anchor = this.anchoredAt.get(client);
    if (anchor === undefined || this.verifier.isTrustedCa(anchor)) return false;
    const certificate = peerCertificateOf(client);
    const now = certificate && this.verifier.anchorOf(certificate);
    if (now === undefined) return true;
    this.anchoredAt.set(client, now);
    return false;
  }

  signedInWithCertificate(client: Client, fingerprint: string): boolean {
    return this.signedInWith.get(client) === fingerprint;
  }

  /** What the session signed in with: a password (its hash) or a certificate (its fingerprint). */
  signedInAs(client: Client): { passwordHash?: string; fingerprint?: string } {
    return { passwordHash: this.passwordHashOf.get(client), fingerprint: this.signedInWith.get(client) };
  }

  isClaimSession(client: Client): boolean {
    return this.claimSessions.has(client);
  }

  create(context: HookContext): BrokerHooks {
    const { metrics, options, logger } = this;
    // Capacity first: the cheapest refusal, before any database work.
    const capacity = withinCapacity(context.connectedClients, context.maxConnections);
    const passwordChecks = [capacity, ...this.passwordChecks];
    const certificateChecks = [capacity, ...this.certificateChecks];
    const claimChecks = [capacity, ...this.claimChecks];
    const checksFor = (attempt: ConnectAttempt) =>
      attempt.peerCertificate ? certificateChecks : attempt.username?.startsWith(CLAIM_USERNAME_PREFIX) ? claimChecks : passwordChecks;

    const { throttle } = this;
    const authenticate: BrokerHooks['authenticate'] = (client, username, password, done) => {
      const source = sourceAddress(client);
      // Refused before any lookup: failures from one address cannot keep the credential queries busy.
      if (throttle.retryAfterMs(source) > 0) {
        return done(refuse({ code: ConnackCode.ServerUnavailable, reason: 'throttled', message: 'too many failed attempts from this address' }, metrics), false);
      }
      const peerCertificate = peerCertificateOf(client);
      const attempt: ConnectAttempt = { clientId: client.id, username: username ?? undefined, password: password ?? undefined, peerCertificate };
      if (peerCertificate) attempt.tlsResumed = (client.conn as TLSSocket).isSessionReused();
      const checks = checksFor(attempt);
      runConnectChecks(checks, attempt).then(
        (refusal) => {
          if (refusal) {
            if (isAuthenticationFailure(refusal)) throttle.failed(source);
            return done(refuse(refusal, metrics), false);
          }
          throttle.succeeded(source);
          if (attempt.certificate) {
            this.signedInWith.set(client, attempt.certificate.facts.fingerprint);
            this.anchoredAt.set(client, attempt.certificate.issuer.fingerprint);
            this.certificates.signedIn(client.id, attempt.certificate.facts, attempt.certificate.issuer, attempt.certificate.certificate);
          }
          if (checks === passwordChecks) this.passwordHashOf.set(client, attempt.credential!.hash);
          if (checks === claimChecks) {
            const claimId = attempt.username!.slice(CLAIM_USERNAME_PREFIX.length);
            const nonce = claimNonceOf(client.id)!;
            this.claimSessions.set(client, { request: claimRequestTopic(claimId, nonce), response: claimResponseTopic(claimId, nonce) });
          }
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
      // A client may send PUBLISH right behind CONNECT (MQTT 3.1.1 §3.1.4); aedes can hand one over
      // while a slow CONNECT (a certificate auto-registering) is still being authenticated.
      if (!(client as Client & { connackSent?: boolean }).connackSent) return afterConnack(client, () => authorizePublish(client, packet, done), done);
      const claim = this.claimSessions.has(client);
      const refusal = runPublishChecks(claim ? this.claimPublishChecks : this.publishChecks, { session: client, deviceId: client.id, topic: packet.topic });
      if (!refusal && claim) return handOver(client, packet, done);
      if (!refusal) {
        metrics.messagesIn.inc();
        // aedes sends PUBACK (QoS 1) only after this callback (MQTT 3.1.1 §4.3.2): a message
        // acknowledged after handling is acknowledged once the server has handled it, so a crash
        // or a failure before then makes the device send it again rather than losing it.
        return this.ingestGate.admit(client, () => handOver(client, packet, done));
      }
      this.dropped.add(packet);
      metrics.droppedMessages.inc({ reason: refusal.reason });
      if (refusal.notify && !claim) context.notify(client.id, { topic: packet.topic, message: refusal.message });
      done(null);
    };

    const authorizeSubscribe = (client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void => {
      const claim = this.claimSessions.get(client);
      if (claim ? subscription.topic === claim.response : isDeviceTopicFilter(client.id, subscription.topic)) return done(null, subscription);
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

function isClaimRequest(sessions: WeakMap<Client, { request: string }>): PublishCheck<Client> {
  return function isClaimRequest(attempt) {
    if (sessions.get(attempt.session)?.request === attempt.topic) return undefined;
    return { reason: 'acl', notify: false, message: 'a claim session may publish only its request' };
  };
}

/** Polls until aedes has accepted the session; gives up once the client closes or the CONNECT deadline passes. */
function afterConnack(client: Client, run: () => void, fail: (error: Error) => void, deadline = Date.now() + CONNECT_WAIT_MS): void {
  const state = client as Client & { connackSent?: boolean; closed?: boolean };
  if (state.connackSent) return run();
  if (state.closed || Date.now() > deadline) return fail(new Error('PUBLISH before an accepted CONNECT'));
  setTimeout(() => afterConnack(client, run, fail, deadline), 5);
}

/** The client certificate of a TLS session (CONTRACT §9: the TLS listener asks for one); undefined elsewhere or when none was sent. */
function peerCertificateOf(client: Client): X509Certificate | undefined {
  const socket = client.conn as Partial<TLSSocket>;
  return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
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
