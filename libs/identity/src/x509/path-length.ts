import type { X509Certificate } from 'node:crypto';
import { x509 } from './peculiar';

/** CA certificates whose constraint has been read, by fingerprint (CAs are few; past the bound it starts over). */
const MAX_KNOWN = 1_024;
const known = new Map<string, number | null>();

/**
 * The `pathLenConstraint` of a CA certificate's basic constraints (RFC 5280 §4.2.1.9): how many
 * intermediate CA certificates may follow it on the way to a device's certificate; null when it
 * sets none. Node's X509Certificate does not expose it, so it is read with @peculiar/x509, once
 * per certificate.
 */
export function pathLengthOf(certificate: X509Certificate): number | null {
  const fingerprint = certificate.fingerprint256;
  let pathLength = known.get(fingerprint);
  if (pathLength === undefined) {
    pathLength = new x509.X509Certificate(certificate.raw).getExtension(x509.BasicConstraintsExtension)?.pathLength ?? null;
    if (known.size >= MAX_KNOWN) known.clear();
    known.set(fingerprint, pathLength);
  }
  return pathLength;
}

/** Whether `ca` allows `below` intermediate CA certificates between it and the device's certificate. */
export function allowsIntermediates(ca: X509Certificate, below: number): boolean {
  if (below === 0) return true;
  const pathLength = pathLengthOf(ca);
  return pathLength === null || below <= pathLength;
}
