import { DEVICE_ID_PATTERN } from './device-identity';
import { type DeviceMessageSpec, accept, isJsonObject, reject } from './device-payload';
import { deviceTopicPrefix } from './topics';

/**
 * Device certificates over MQTT (extensions of CONTRACT §9): renewal by a signed-in device,
 * and provisioning by claim for a device that has no identity yet.
 */

/** Largest CSR a device may send; a P-256 or RSA-4096 request is well under it. */
export const MAX_CSR_CHARS = 16 * 1024;

function checkCsr(value: unknown, optional: boolean): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length > MAX_CSR_CHARS || !value.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    return `csr: must be a PEM certificate signing request of at most ${MAX_CSR_CHARS} characters`;
  }
  return undefined;
}

/** Device → server `devices/{id}/certificates/renew`: `{csr}` with subject CN = the device id. */
export interface CertificateRenewal {
  csr: string;
}

export const certificateRenewalSpec: DeviceMessageSpec<CertificateRenewal> = {
  pattern: 'devices/+/certificates/renew',
  check(value) {
    if (!isJsonObject(value)) return reject('payload must be a JSON object {csr}');
    const unknown = Object.keys(value).find((key) => key !== 'csr');
    if (unknown) return reject(`${unknown}: unknown field`);
    const problem = checkCsr(value.csr, false);
    return problem ? reject(problem) : accept({ csr: value.csr as string });
  },
};

export function certificateRenewalTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}certificates/renew`;
}

/** Server → device: the new certificate `{serial, certificate, notBefore, notAfter}`, or `{error}`. */
export function certificateRenewedTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}certificates/renewed`;
}

/**
 * Provisioning by claim. A device holding a claim credential connects with user name
 * `claim:{claimId}`, the claim secret as password and client id `claim/{nonce}` (a '/'
 * never appears in a device id, so a claim session can never take over a device's).
 */
export const CLAIM_USERNAME_PREFIX = 'claim:';
export const CLAIM_CLIENT_ID_PREFIX = 'claim/';
const NONCE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The nonce of a claim session's client id, or undefined when the client id is not `claim/{nonce}`. */
export function claimNonceOf(clientId: string): string | undefined {
  if (!clientId.startsWith(CLAIM_CLIENT_ID_PREFIX)) return undefined;
  const nonce = clientId.slice(CLAIM_CLIENT_ID_PREFIX.length);
  return NONCE_PATTERN.test(nonce) ? nonce : undefined;
}

/** The only topic a claim session may publish to. */
export function claimRequestTopic(claimId: string, nonce: string): string {
  return `claims/${claimId}/${nonce}/request`;
}

/** The only topic a claim session may subscribe to: the answer to its request. */
export function claimResponseTopic(claimId: string, nonce: string): string {
  return `claims/${claimId}/${nonce}/response`;
}

/** Claim session → server: the id it wants and, for a certificate, a CSR with that CN; without one it gets a password. */
export interface ClaimRequest {
  deviceId: string;
  csr?: string;
}

/** Pattern `claims/{claimId}/{nonce}/request`. */
export const claimRequestSpec: DeviceMessageSpec<ClaimRequest> = {
  pattern: 'claims/+/+/request',
  check(value) {
    if (!isJsonObject(value)) return reject('payload must be a JSON object {deviceId, csr?}');
    const unknown = Object.keys(value).find((key) => key !== 'deviceId' && key !== 'csr');
    if (unknown) return reject(`${unknown}: unknown field`);
    if (typeof value.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(value.deviceId)) {
      return reject('deviceId: must be 1-128 characters: letters, digits, . _ : -, starting with a letter or digit');
    }
    const problem = checkCsr(value.csr, true);
    if (problem) return reject(problem);
    return accept(value.csr === undefined ? { deviceId: value.deviceId } : { deviceId: value.deviceId, csr: value.csr as string });
  },
};
