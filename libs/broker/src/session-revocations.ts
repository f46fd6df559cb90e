import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Client } from 'aedes';
import { CLUSTER_OPTIONS, type ClusterOptions, ClusterSignals } from '@edgefleet/cluster';
import { CertificateVerifier } from '@edgefleet/identity';
import { DeviceEvents, DeviceRepository } from '@edgefleet/registry';
import { BrokerMetrics } from './broker-metrics';
import { CredentialCache } from './credential-cache';
import { DeviceBrokerHooks } from './device-broker-hooks';
import { LiveSessions } from './live-sessions';
import { type HeldSession, SessionSweep } from './session-sweep';

/**
 * Closes sessions that must not stay open, whichever node learns it: a credential revoked
 * (decommission, rotation, a sign-in method turned off) or a certificate revoked, here or on
 * another node (its signal), a certificate session whose CA was removed (here, or found gone by
 * a reload of the trusted CAs), and a session taken over by a newer CONNECT at another node. On
 * a cluster node a session sweep makes up for signals that never arrived.
 */
@Injectable()
export class SessionRevocations {
  private readonly logger = new Logger('Broker');
  private sweep?: SessionSweep;
  private sweepTimer?: NodeJS.Timeout;

  /** Revoked on this node: closed here, and on whichever other node holds the session. */
  private readonly onRevoked = (deviceId: string): void => {
    this.revoke(deviceId);
    this.signals.send('revoke', deviceId);
  };
  private readonly onCertificateRevoked = (deviceId: string, fingerprint: string): void => {
    this.revokeCertificate(deviceId, fingerprint);
    this.signals.send('certificate-revoked', `${deviceId} ${fingerprint}`);
  };
  private readonly onRemoteRevoke = (deviceIds: string[]): void => deviceIds.forEach((deviceId) => this.revoke(deviceId));
  private readonly onRemoteCertificateRevoked = (entries: string[]): void => {
    for (const entry of entries) {
      const [deviceId, fingerprint] = entry.split(' ');
      if (deviceId && fingerprint) this.revokeCertificate(deviceId, fingerprint);
    }
  };
  /** `{deviceId} {ms}` entries: the device opened a session elsewhere at that time; only an older session here is closed. */
  private readonly onRemoteTakeover = (entries: string[]): void => {
    for (const entry of entries) {
      const split = entry.lastIndexOf(' ');
      const deviceId = entry.slice(0, split);
      const session = this.sessions.get(deviceId);
      // A session opened here after that one (the device came back) stays.
      if (!session || this.sessions.openedAtOf(session) >= Number(entry.slice(split + 1))) continue;
      this.logger.debug?.(`'${deviceId}' connected at another node: closing its session here`);
      session.close();
    }
  };
  /** Rare (an operator removing a CA), so every session is looked at rather than keeping an index by CA. */
  private readonly onTrustWithdrawn = (): void => {
    for (const session of this.sessions.all()) {
      if (!this.hooks.lostItsCa(session)) continue;
      this.logger.log(`the CA that certified '${session.id}' is no longer trusted: closing its session`);
      session.close();
    }
  };
  /** Back on the signal connection after losing it: revocations and takeovers signalled meanwhile are found by a sweep. */
  private readonly onSignalsResumed = (): void => this.sweepNow();

  constructor(
    private readonly sessions: LiveSessions,
    private readonly hooks: DeviceBrokerHooks,
    private readonly credentials: CredentialCache,
    private readonly devices: DeviceRepository,
    private readonly verifier: CertificateVerifier,
    private readonly metrics: BrokerMetrics,
    private readonly events: DeviceEvents,
    private readonly signals: ClusterSignals,
    @Inject(CLUSTER_OPTIONS) private readonly cluster: ClusterOptions,
  ) {}

  start(): void {
    this.events.on('credentials-revoked', this.onRevoked);
    this.events.on('certificate-revoked', this.onCertificateRevoked);
    this.signals.on('revoke', this.onRemoteRevoke);
    this.signals.on('certificate-revoked', this.onRemoteCertificateRevoked);
    this.signals.on('takeover', this.onRemoteTakeover);
    this.verifier.onTrustWithdrawn(this.onTrustWithdrawn);
    if (this.cluster.joined) this.startSweep();
  }

  stop(): void {
    this.events.off('credentials-revoked', this.onRevoked);
    this.events.off('certificate-revoked', this.onCertificateRevoked);
    this.signals.off('revoke', this.onRemoteRevoke);
    this.signals.off('certificate-revoked', this.onRemoteCertificateRevoked);
    this.signals.off('takeover', this.onRemoteTakeover);
    this.verifier.offTrustWithdrawn(this.onTrustWithdrawn);
    this.signals.off('resumed', this.onSignalsResumed);
    clearInterval(this.sweepTimer);
  }

  /** Whether a session about to be registered was revoked since it authenticated: a password rotated, the certificate it signed in with, or that certificate's CA. */
  revokedSince(client: Client): boolean {
    return this.hooks.revocations.isRevoked(client.id, client) || this.hooks.usesRevokedCertificate(client) || this.hooks.lostItsCa(client);
  }

  /** MQTT 3.1.1 §3.1.4-2 across nodes: an older session for this id on another node is closed there. */
  opened(client: Client, at: number): void {
    this.signals.send('takeover', `${client.id} ${at}`);
  }

  /** Checks every session held here against the database every FLEET_SESSION_SWEEP_MS, and whenever the signal connection comes back. */
  private startSweep(): void {
    const stale = this.metrics.closedConnections.labels('stale-session');
    this.sweep = new SessionSweep({
      nodeId: this.cluster.nodeId,
      held: () =>
        this.sessions.all().map((client): HeldSession => ({ deviceId: client.id, openedAt: this.sessions.openedAtOf(client), ...this.hooks.signedInAs(client), close: () => client.close() })),
      records: (ids) => this.devices.findSessionRecords(ids),
      catchUpRevocations: () => this.verifier.catchUpRevocations(),
      isRevoked: (fingerprint) => this.verifier.isRevoked(fingerprint),
      closed: ({ deviceId }, reason) => {
        stale.inc();
        if (reason !== 'taken-over') this.forget(deviceId);
        this.logger.log(`closing the session of '${deviceId}': ${reason} (found by the session sweep)`);
      },
    });
    this.signals.on('resumed', this.onSignalsResumed);
    this.sweepTimer = setInterval(() => this.sweepNow(), this.cluster.sessionSweepMs).unref();
  }

  private sweepNow(): void {
    this.sweep?.run().catch((error: Error) => this.logger.warn(`session sweep failed (the next one tries again): ${error.message}`));
  }

  /** The cached credential goes, and a CONNECT authenticated with it but not registered yet is refused when it is. */
  private forget(deviceId: string): void {
    this.credentials.invalidate(deviceId);
    this.hooks.revocations.revoked(deviceId);
  }

  private revoke(deviceId: string): void {
    this.forget(deviceId);
    const session = this.sessions.get(deviceId);
    if (session) {
      this.logger.log(`credential of '${deviceId}' revoked: closing its session`);
      session.close();
    }
  }

  private revokeCertificate(deviceId: string, fingerprint: string): void {
    const session = this.sessions.get(deviceId);
    if (session && this.hooks.signedInWithCertificate(session, fingerprint)) {
      this.logger.log(`certificate of '${deviceId}' revoked: closing its session`);
      session.close();
    }
  }
}
