import { X509Certificate } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { fingerprintOf } from '../x509/certificate-facts';
import { FleetCa } from './fleet-ca';
import type { LoadedCa, TrustedCa } from './trusted-ca';
import { TrustedCaRepository } from './trusted-ca.repository';

/**
 * The CAs a device certificate may chain to, in memory so that CONNECT costs no query: the
 * fleet CA, and every CA registered with `POST /cas` (loaded at start, added as registered).
 * The truth is the trusted_cas table; in a cluster a CA registered on another node is seen
 * here after a restart.
 */
@Injectable()
export class TrustedCas implements OnModuleInit {
  /** By subject: a certificate names its issuer, so only CAs with that subject are tried. */
  private readonly bySubject = new Map<string, LoadedCa[]>();

  constructor(
    private readonly fleetCa: FleetCa,
    private readonly repository: TrustedCaRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const fleet = this.fleetCa.certificate;
    this.add({
      id: null,
      fingerprint: fingerprintOf(fleet.raw),
      subject: fleet.subject,
      certificatePem: this.fleetCa.certificatePem,
      autoRegister: null,
      createdAt: new Date(fleet.validFrom),
    });
    for (const ca of await this.repository.list()) this.add(ca);
  }

  add(ca: TrustedCa): void {
    const certificate = new X509Certificate(ca.certificatePem);
    const same = this.bySubject.get(certificate.subject) ?? [];
    if (same.some((known) => known.fingerprint === ca.fingerprint)) return;
    this.bySubject.set(certificate.subject, [...same, { ...ca, certificate }]);
  }

  /** The trusted CA whose key signed `certificate`, if any (a self-signed one never matches unless it is itself trusted). */
  issuerOf(certificate: X509Certificate): LoadedCa | undefined {
    const candidates = this.bySubject.get(certificate.issuer);
    if (!candidates) return undefined;
    return candidates.find((ca) => certificate.checkIssued(ca.certificate) && certificate.verify(ca.certificate.publicKey));
  }

  isKnown(fingerprint: string): boolean {
    for (const cas of this.bySubject.values()) if (cas.some((ca) => ca.fingerprint === fingerprint)) return true;
    return false;
  }
}
