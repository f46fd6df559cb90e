import { X509Certificate } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type TrustWithdrawnListener, TrustedCas } from '../ca/trusted-cas';
import type { LoadedCa } from '../ca/trusted-ca';
import { type CertificateFacts, factsOf } from '../x509/certificate-facts';
import { verifyChain } from './certificate-chain';
import { RevokedCertificates } from './revoked-certificates';

export type CertificateRefusalReason = 'certificate-expired' | 'certificate-other-id' | 'certificate-untrusted' | 'certificate-revoked';

export type CertificateVerdict =
  | { ok: true; deviceId: string; facts: CertificateFacts; issuer: LoadedCa; certificate: X509Certificate }
  | { ok: false; reason: CertificateRefusalReason; message: string };

/**
 * Checks a client certificate presented over TLS, with no database round trip: chained to a
 * trusted CA (its signature verifies with the CA's key, directly or through the intermediate CA
 * certificates sent with it), within its validity, its subject CN the client id, and not revoked.
 */
@Injectable()
export class CertificateVerifier {
  constructor(
    private readonly trusted: TrustedCas,
    private readonly revoked: RevokedCertificates,
  ) {}

  /** `certificate`: as the TLS socket parsed it (`getPeerX509Certificate`), the rest of the chain the device sent as its `issuerCertificate`. */
  verify(certificate: X509Certificate, clientId: string, now = Date.now()): CertificateVerdict {
    const facts = factsOf(certificate);
    if (facts.commonName !== clientId) {
      return { ok: false, reason: 'certificate-other-id', message: 'the client certificate subject CN is not the client identifier' };
    }
    if (now < facts.notBefore.getTime() || now >= facts.notAfter.getTime()) {
      return { ok: false, reason: 'certificate-expired', message: 'the client certificate is expired or not yet valid' };
    }
    const chain = verifyChain(certificate, (link) => this.trusted.issuerOf(link), now);
    if (!chain.ok) return chain;
    if (this.revoked.has(facts.fingerprint)) return { ok: false, reason: 'certificate-revoked', message: 'the client certificate is revoked' };
    return { ok: true, deviceId: clientId, facts, issuer: chain.anchor, certificate };
  }

  /** The fingerprint of the trusted CA `certificate` chains to now, if any (a live session's, once a CA it may have used is removed). */
  anchorOf(certificate: X509Certificate, now = Date.now()): string | undefined {
    const chain = verifyChain(certificate, (link) => this.trusted.issuerOf(link), now);
    return chain.ok ? chain.anchor.fingerprint : undefined;
  }

  isTrustedCa(fingerprint: string): boolean {
    return this.trusted.isKnown(fingerprint);
  }

  onTrustWithdrawn(listener: TrustWithdrawnListener): void {
    this.trusted.onWithdrawn(listener);
  }

  offTrustWithdrawn(listener: TrustWithdrawnListener): void {
    this.trusted.offWithdrawn(listener);
  }

  isRevoked(fingerprint: string): boolean {
    return this.revoked.has(fingerprint);
  }

  /** Learns revocations whose signal never arrived (see RevokedCertificates.catchUp). */
  catchUpRevocations(): Promise<void> {
    return this.revoked.catchUp();
  }
}
