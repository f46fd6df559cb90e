import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readOrCreateSecretFile } from '@edgefleet/common';
import { ConfigError } from '@edgefleet/config';
import { ECDSA_P256, x509 } from '../x509/peculiar';

export const GENERATED_CA_KEY_FILE = 'fleet-ca-key.pem';
export const GENERATED_CA_CERT_FILE = 'fleet-ca.pem';
/** A generated fleet CA outlives any device certificate it signs. */
const GENERATED_CA_YEARS = 20;

export interface CaMaterial {
  certificatePem: string;
  certificate: X509Certificate;
  signingKey: webcrypto.CryptoKey;
}

/** The operator's CA from FLEET_CA_CERT_FILE / FLEET_CA_KEY_FILE, else the one kept in `$FLEET_DATA_DIR/keys` (made at first start). */
export async function loadCaMaterial(options: { dataDir: string; caCertFile?: string; caKeyFile?: string }): Promise<CaMaterial> {
  if (options.caCertFile && options.caKeyFile) {
    return toMaterial(await readFile(options.caCertFile, 'utf8'), await readFile(options.caKeyFile), 'FLEET_CA_CERT_FILE', 'FLEET_CA_KEY_FILE');
  }
  const dir = join(options.dataDir, 'keys');
  const keyPem = await readOrCreateSecretFile(join(dir, GENERATED_CA_KEY_FILE), () =>
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
  const signingKey = await importSigningKey(keyPem, 'FLEET_DATA_DIR');
  // Two processes starting together may both make a certificate; the first one linked in place is kept.
  const fresh = await selfSignedCa(signingKey, keyPem);
  const certificatePem = (await readOrCreateSecretFile(join(dir, GENERATED_CA_CERT_FILE), () => fresh)).toString('utf8');
  return toMaterial(certificatePem, keyPem, 'FLEET_DATA_DIR', 'FLEET_DATA_DIR');
}

async function toMaterial(certificatePem: string, keyPem: Buffer, certSetting: string, keySetting: string): Promise<CaMaterial> {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new ConfigError(certSetting, 'the fleet CA certificate is not a PEM X.509 certificate');
  }
  if (!certificate.ca) throw new ConfigError(certSetting, 'the fleet CA certificate is not a CA certificate (basicConstraints CA:TRUE)');
  const signingKey = await importSigningKey(keyPem, keySetting);
  if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) throw new ConfigError(keySetting, 'the fleet CA key does not match its certificate');
  return { certificatePem: certificate.toString(), certificate, signingKey };
}

async function importSigningKey(pem: Buffer, setting: string): Promise<webcrypto.CryptoKey> {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(setting, 'the fleet CA key is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(setting, 'the fleet CA key must be an EC P-256 (prime256v1) key');
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign']);
}

async function selfSignedCa(signingKey: webcrypto.CryptoKey, keyPem: Buffer): Promise<string> {
  const publicKey = await publicKeyOf(keyPem);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: ['EdgeFleet fleet CA'] }],
    keys: { privateKey: signingKey, publicKey },
    signingAlgorithm: ECDSA_P256,
    serialNumber: randomSerial(),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + GENERATED_CA_YEARS * 365 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return certificate.toString('pem') + '\n';
}

async function publicKeyOf(keyPem: Buffer): Promise<webcrypto.CryptoKey> {
  const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
}

/** 16 random bytes, the top bit clear (a positive INTEGER, RFC 5280 §4.1.2.2) and the first byte never zero. */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return Buffer.from(bytes).toString('hex').toUpperCase();
}
