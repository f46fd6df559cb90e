import { webcrypto } from 'node:crypto';
import { ECDSA_P256, x509 } from '@edgefleet/identity';

export interface BenchCertificates {
  /** The bench's own device CA (PEM), to register with `POST /api/v1/cas`. */
  caPem: string;
  /** One PKCS#8 PEM key shared by every device: key generation is not what is measured. */
  keyPem: string;
  /** A certificate per device id (PEM), CN = the id, ECDSA P-256. */
  certificateFor(deviceId: string): Promise<string>;
}

/** A manufacturer-style CA made in process, signing device certificates the way a factory would. */
export async function benchCertificates(): Promise<BenchCertificates> {
  const caKeys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: ['EdgeFleet bench device CA'] }],
    keys: caKeys,
    signingAlgorithm: ECDSA_P256,
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const deviceKeys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', deviceKeys.privateKey));
  return {
    caPem: ca.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    certificateFor: async (deviceId) =>
      (
        await x509.X509CertificateGenerator.create({
          subject: [{ CN: [deviceId] }],
          issuer: ca.subjectName,
          publicKey: deviceKeys.publicKey,
          signingKey: caKeys.privateKey,
          signingAlgorithm: ECDSA_P256,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 86_400_000),
          extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
        })
      ).toString('pem'),
  };
}
