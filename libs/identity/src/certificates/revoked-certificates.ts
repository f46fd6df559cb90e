import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ClusterSignals } from '@edgefleet/cluster';
import { DeviceCertificateRepository } from './device-certificate.repository';

/** A revocation's time is taken before its transaction commits; transactions take far less than this. */
const CATCH_UP_OVERLAP_MS = 60_000;

/**
 * Fingerprints of revoked certificates, in memory: CONNECT checks a set, not the database.
 * Loaded at start (the truth is device_certificates.revoked_at) and added to as certificates
 * are revoked, here or on another cluster node (its `certificate-revoked` signal). Expired ones
 * are left out at load: expiry refuses them anyway. A signal lost on the way (the signal
 * connection was down) is made up for by `catchUp`, which the broker's session sweep calls.
 */
@Injectable()
export class RevokedCertificates implements OnModuleInit, OnModuleDestroy {
  private readonly revoked = new Set<string>();
  /** Renewed certificates not used yet (device_certificates.renewal_pending), so CONNECT sees a first use without a query. */
  private readonly renewals = new Set<string>();
  /** When the last load or catch-up read the database. */
  private syncedAt = new Date();

  /** `{deviceId} {fingerprint}` entries from other nodes. */
  private readonly onRevokedElsewhere = (entries: string[]): void => {
    for (const entry of entries) this.revoked.add(entry.slice(entry.lastIndexOf(' ') + 1));
  };

  constructor(
    private readonly repository: DeviceCertificateRepository,
    private readonly signals: ClusterSignals,
  ) {}

  async onModuleInit(): Promise<void> {
    this.signals.on('certificate-revoked', this.onRevokedElsewhere);
    this.syncedAt = new Date();
    for (const fingerprint of await this.repository.revokedUnexpired(this.syncedAt)) this.revoked.add(fingerprint);
    for (const fingerprint of await this.repository.renewalsPending()) this.renewals.add(fingerprint);
  }

  onModuleDestroy(): void {
    this.signals.off('certificate-revoked', this.onRevokedElsewhere);
  }

  /**
   * Adds what was revoked since the last read, on any node. Reads from a little before it:
   * a revocation committed just then may carry an earlier time than that read.
   */
  async catchUp(): Promise<void> {
    const now = new Date();
    for (const fingerprint of await this.repository.revokedSince(new Date(this.syncedAt.getTime() - CATCH_UP_OVERLAP_MS))) this.revoked.add(fingerprint);
    this.syncedAt = now;
  }

  renewalIssued(fingerprint: string): void {
    this.renewals.add(fingerprint);
  }

  /** True once per renewed certificate: the first time it is used. */
  firstUseOfRenewal(fingerprint: string): boolean {
    return this.renewals.delete(fingerprint);
  }

  add(fingerprint: string): void {
    this.revoked.add(fingerprint);
  }

  has(fingerprint: string): boolean {
    return this.revoked.has(fingerprint);
  }
}
