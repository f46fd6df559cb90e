import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ClusterSignals } from '@edgefleet/cluster';
import { DeviceCertificateRepository } from './device-certificate.repository';

/**
 * Fingerprints of revoked certificates, in memory: CONNECT checks a set, not the database.
 * Loaded at start (the truth is device_certificates.revoked_at) and added to as certificates
 * are revoked, here or on another cluster node (its `certificate-revoked` signal). Expired ones
 * are left out at load: expiry refuses them anyway.
 */
@Injectable()
export class RevokedCertificates implements OnModuleInit, OnModuleDestroy {
  private readonly revoked = new Set<string>();
  /** Renewed certificates not used yet (device_certificates.renewal_pending), so CONNECT sees a first use without a query. */
  private readonly renewals = new Set<string>();

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
    for (const fingerprint of await this.repository.revokedUnexpired(new Date())) this.revoked.add(fingerprint);
    for (const fingerprint of await this.repository.renewalsPending()) this.renewals.add(fingerprint);
  }

  onModuleDestroy(): void {
    this.signals.off('certificate-revoked', this.onRevokedElsewhere);
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
