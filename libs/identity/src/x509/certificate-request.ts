import { InvalidInputError } from '@edgefleet/common';
import { MAX_CSR_CHARS } from '@edgefleet/contracts';
import { x509 } from './peculiar';

/** A CSR whose signature holds: its subject CN and the public key to certify. */
export interface VerifiedRequest {
  commonName: string;
  publicKey: x509.PublicKey;
}

/** Parses a PEM PKCS#10 request and checks that it is signed by the key it carries (proof of possession). */
export async function verifyCertificateRequest(pem: string, field = 'csr'): Promise<VerifiedRequest> {
  if (typeof pem !== 'string' || pem.length > MAX_CSR_CHARS || !pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw new InvalidInputError('must be a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)', field);
  }
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new InvalidInputError('is not a well-formed PKCS#10 request', field);
  }
  let signed = false;
  try {
    signed = await request.verify();
  } catch {
    signed = false;
  }
  if (!signed) throw new InvalidInputError('its signature does not verify with the public key it carries', field);
  const names = request.subjectName.getField('CN');
  if (names.length !== 1) throw new InvalidInputError('the subject must hold exactly one CN (the device id)', field);
  return { commonName: names[0], publicKey: request.publicKey };
}
