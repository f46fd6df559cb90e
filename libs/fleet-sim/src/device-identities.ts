import { randomBytes, webcrypto } from 'node:crypto';
import { provisionByClaim } from '@edgefleet/device-sdk';
import { ECDSA_P256, x509 } from '@edgefleet/identity';
import type { DeviceLogin, FleetApi } from './fleet-api';

/** Requests in flight at once while enrolling (each costs the server an ECDSA signature and a transaction). */
const CONCURRENCY = 20;

/** An EC P-256 key and a CSR with subject CN = `deviceId`, as a device would make them. */
export async function newKeyAndCsr(deviceId: string): Promise<{ key: string; csr: string }> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [deviceId] }], keys, signingAlgorithm: ECDSA_P256 });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), csr: csr.toString('pem') };
}

/** `--auth cert`: every login without a certificate gets one from the fleet CA for a fresh key; returns how many were enrolled. */
export async function enrollCertificates(api: FleetApi, logins: DeviceLogin[]): Promise<number> {
  const missing = logins.filter((login) => !login.certificate);
  await eachLimited(missing, async (login) => {
    const { key, csr } = await newKeyAndCsr(login.id);
    login.certificate = { cert: await api.signCertificate(login.id, csr), key };
  });
  return missing.length;
}

/** `--claim`: `count` new devices provision themselves with the claim credential, with a certificate (`withCertificate`) or a password. */
export async function provisionFleetByClaim(
  options: { mqttUrl: string; claim: { username: string; password: string }; type: string; count: number; withCertificate: boolean; ca?: string },
): Promise<DeviceLogin[]> {
  const run = randomBytes(3).toString('hex');
  const width = String(options.count).length;
  const ids = Array.from({ length: options.count }, (_, i) => `sim-${options.type}-claim-${run}-${String(i + 1).padStart(width, '0')}`);
  const logins: DeviceLogin[] = [];
  await eachLimited(ids, async (deviceId) => {
    const mqtt = options.ca ? { ca: options.ca } : undefined;
    if (!options.withCertificate) {
      const answer = await provisionByClaim({ url: options.mqttUrl, claim: options.claim, deviceId, mqtt });
      if ('credentials' in answer) logins.push({ id: deviceId, password: answer.credentials.password });
      return;
    }
    const { key, csr } = await newKeyAndCsr(deviceId);
    const answer = await provisionByClaim({ url: options.mqttUrl, claim: options.claim, deviceId, csr, mqtt });
    if ('certificate' in answer) logins.push({ id: deviceId, certificate: { cert: answer.certificate, key } });
  });
  return logins;
}

async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
