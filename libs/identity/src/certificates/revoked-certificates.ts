import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DeviceCertificateRepository } from './device-certificate.repository';

/**
 * Fingerprints of revoked certificates, in memory: CONNECT checks a set, not the database.
 * Loaded at start (the truth is device_certificates.revoked_at) and added to as certificates
 * are revoked. Expired ones are left out at load: expiry refuses them anyway.
 */
@Injectable()
export class RevokedCertificates implements OnModuleInit {
  private readonly revoked = new Set<string>();
  /** Renewed certificates not used yet (device_certificates.renewal_pending), so CONNECT sees a first use without a query. */
  private readonly renewals = new Set<string>();

  constructor(private readonly repository: DeviceCertificateRepository) {}

  async onModuleInit(): Promise<void> {
    for (const fingerprint of await this.repository.revokedUnexpired(new Date())) this.revoked.add(fingerprint);
    for (const fingerprint of await this.repository.renewalsPending()) this.renewals.add(fingerprint);
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
