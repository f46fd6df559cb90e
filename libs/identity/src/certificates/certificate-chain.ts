import type { X509Certificate } from 'node:crypto';
import type { LoadedCa } from '../ca/trusted-ca';
import { allowsIntermediates } from '../x509/path-length';

/** Intermediate CA certificates accepted between a device's certificate and a trusted CA. */
export const MAX_INTERMEDIATES = 4;
/** Certificates read from what the device sent after its own; the rest of a longer list is not looked at. */
const MAX_PRESENTED = 8;

export type ChainVerdict =
  /** `chainNotAfter`: when the intermediate expiring first expires (undefined: signed by the trusted CA directly). */
  | { ok: true; anchor: LoadedCa; chainNotAfter?: number }
  | { ok: false; reason: 'certificate-untrusted' | 'certificate-expired'; message: string };

const UNTRUSTED: ChainVerdict = { ok: false, reason: 'certificate-untrusted', message: 'the client certificate is not issued by a trusted CA' };
const PATH_TOO_LONG: ChainVerdict = { ok: false, reason: 'certificate-untrusted', message: 'a CA certificate of the chain allows fewer intermediates below it (basicConstraints pathlen)' };

/**
 * The trusted CA a device certificate chains to: signed by one directly, or through intermediate
 * CA certificates the device sent after its own in the TLS handshake (Node hands them over as
 * `issuerCertificate`, in the order sent). Each link must verify (issuer name, key identifier
 * and signature: `checkIssued` and `verify`), each intermediate be a CA certificate within its
 * validity, and no CA of the chain (the trusted one included) have more intermediates below it
 * than its pathlen allows (RFC 5280 §6.1.3, §6.1.4(k), (l), (m)). The certificates may come in
 * any order (TLS 1.3 allows it, RFC 8446 §4.4.2); a trusted CA sent along is found as trusted,
 * not as presented.
 */
export function verifyChain(leaf: X509Certificate, trustedIssuerOf: (certificate: X509Certificate) => LoadedCa | undefined, now: number): ChainVerdict {
  let current = leaf;
  let presented: X509Certificate[] | undefined;
  let chainNotAfter: number | undefined;
  for (let intermediates = 0; ; intermediates++) {
    const anchor = trustedIssuerOf(current);
    if (anchor) return allowsIntermediates(anchor.certificate, intermediates) ? { ok: true, anchor, chainNotAfter } : PATH_TOO_LONG;
    if (intermediates === MAX_INTERMEDIATES) return UNTRUSTED;
    presented ??= presentedAfter(leaf);
    const index = presented.findIndex((candidate) => current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (index < 0) return UNTRUSTED;
    const [issuer] = presented.splice(index, 1);
    if (!issuer.ca) return { ok: false, reason: 'certificate-untrusted', message: 'an intermediate certificate is not a CA certificate (basicConstraints CA:TRUE)' };
    if (!allowsIntermediates(issuer, intermediates)) return PATH_TOO_LONG;
    const notAfter = Date.parse(issuer.validTo);
    if (now < Date.parse(issuer.validFrom) || now >= notAfter) {
      return { ok: false, reason: 'certificate-expired', message: 'an intermediate CA certificate is expired or not yet valid' };
    }
    chainNotAfter = Math.min(chainNotAfter ?? notAfter, notAfter);
    current = issuer;
  }
}

function presentedAfter(leaf: X509Certificate): X509Certificate[] {
  const presented: X509Certificate[] = [];
  for (let next = leaf.issuerCertificate; next && presented.length < MAX_PRESENTED; next = next.issuerCertificate) presented.push(next);
  return presented;
}
