import { X509Certificate, createHash } from 'node:crypto';

/** What the fleet keeps about a certificate, read with Node's own X.509 parser. */
export interface CertificateFacts {
  /** SHA-256 of the DER bytes, hex upper case. */
  fingerprint: string;
  /** Hex upper case, without leading zero bytes. */
  serial: string;
  commonName: string | undefined;
  notBefore: Date;
  notAfter: Date;
}

export function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase();
}

export function factsOf(certificate: X509Certificate): CertificateFacts {
  return {
    fingerprint: fingerprintOf(certificate.raw),
    serial: normalizeSerial(certificate.serialNumber),
    commonName: commonNameOf(certificate.subject),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
  };
}

/** Serials compare as hex numbers: "00AB" and "ab" are the same serial. */
export function normalizeSerial(serial: string): string {
  return serial.toUpperCase().replace(/^(00)+(?=[0-9A-F])/, '') || '0';
}

/**
 * The subject's one CN (Node prints a subject as one `key=value` per line); undefined when
 * there is none or more than one, since a device id must be unambiguous.
 */
export function commonNameOf(subject: string): string | undefined {
  const names = subject.split('\n').filter((line) => line.startsWith('CN='));
  return names.length === 1 ? names[0].slice(3) : undefined;
}
