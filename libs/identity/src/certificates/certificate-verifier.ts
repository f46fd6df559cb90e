import { X509Certificate } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type TrustWithdrawnListener, TrustedCas } from '../ca/trusted-cas';
import type { LoadedCa } from '../ca/trusted-ca';
import { type CertificateFacts, factsOf } from '../x509/certificate-facts';
import { verifyChain } from './certificate-chain';
import { RevokedCertificates } from './revoked-certificates';

/** Chained device certificates remembered for resumed TLS sessions (~200 bytes each). */
const MAX_CHAINED = 50_000;

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
  /**
   * Device certificates that signed in through intermediates, with the trusted CA their chain
   * ended at: a resumed TLS session (a session ticket, TLS 1.2 or 1.3) carries the device's
   * certificate but not the chain, and resumption proves a full handshake with this process
   * before. Bounded: the oldest entry goes first (such a device then needs a full handshake).
   */
  private readonly chained = new Map<string, { anchor: string; notAfter: number }>();

  constructor(
    private readonly trusted: TrustedCas,
    private readonly revoked: RevokedCertificates,
  ) {}

  /**
   * `certificate`: as the TLS socket parsed it (`getPeerX509Certificate`), the rest of the chain
   * the device sent as its `issuerCertificate`; `resumed`: the TLS session was resumed, so no
   * chain came with it.
   */
  verify(certificate: X509Certificate, clientId: string, resumed = false, now = Date.now()): CertificateVerdict {
    const facts = factsOf(certificate);
    if (facts.commonName !== clientId) {
      return { ok: false, reason: 'certificate-other-id', message: 'the client certificate subject CN is not the client identifier' };
    }
    if (now < facts.notBefore.getTime() || now >= facts.notAfter.getTime()) {
      return { ok: false, reason: 'certificate-expired', message: 'the client certificate is expired or not yet valid' };
    }
    const chain = this.chainOf(certificate, now);
    const anchor = chain.ok ? chain.anchor : resumed && !certificate.issuerCertificate ? this.anchorOfResumed(facts.fingerprint, now) : undefined;
    if (!anchor) return chain as Exclude<typeof chain, { ok: true }>;
    if (this.revoked.has(facts.fingerprint)) return { ok: false, reason: 'certificate-revoked', message: 'the client certificate is revoked' };
    if (chain.ok && chain.chainNotAfter !== undefined) this.rememberChain(facts.fingerprint, anchor.fingerprint, chain.chainNotAfter);
    return { ok: true, deviceId: clientId, facts, issuer: anchor, certificate };
  }

  /** The fingerprint of the trusted CA `certificate` chains to now, if any (a live session's, once a CA it may have used is removed). */
  anchorOf(certificate: X509Certificate, now = Date.now()): string | undefined {
    const chain = this.chainOf(certificate, now);
    return chain.ok ? chain.anchor.fingerprint : undefined;
  }

  private chainOf(certificate: X509Certificate, now: number) {
    return verifyChain(certificate, (link) => this.trusted.issuerOf(link), now);
  }

  private rememberChain(fingerprint: string, anchor: string, notAfter: number): void {
    this.chained.delete(fingerprint);
    if (this.chained.size >= MAX_CHAINED) this.chained.delete(this.chained.keys().next().value!);
    this.chained.set(fingerprint, { anchor, notAfter });
  }

  /** The trusted CA a chain seen before ended at, if it is still trusted and the chain still valid. */
  private anchorOfResumed(fingerprint: string, now: number): LoadedCa | undefined {
    const seen = this.chained.get(fingerprint);
    if (!seen || now >= seen.notAfter) return undefined;
    return this.trusted.find(seen.anchor);
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
