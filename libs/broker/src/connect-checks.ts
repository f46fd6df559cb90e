import type { X509Certificate } from 'node:crypto';
import { secretMatches } from '@edgefleet/common';
import { CLAIM_CLIENT_ID_PREFIX, CLAIM_USERNAME_PREFIX, claimNonceOf, isValidDeviceId } from '@edgefleet/contracts';
import type { CertificateVerdict, ClaimCheck } from '@edgefleet/identity';
import type { AuthMethod, DeviceCredential } from '@edgefleet/registry';
import type { ConnectRefusalReason } from './broker-metrics';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3 Table 3.1. */
export enum ConnackCode {
  UnacceptableProtocolVersion = 0x01,
  IdentifierRejected = 0x02,
  ServerUnavailable = 0x03,
  BadUsernameOrPassword = 0x04,
  NotAuthorized = 0x05,
}

export interface ConnectAttempt {
  clientId: string;
  username?: string;
  password?: Buffer;
  /** The client certificate, on the TLS listener when the device presented one. */
  peerCertificate?: X509Certificate;
  /** The TLS session was resumed: the certificate came without the chain the device sent at first. */
  tlsResumed?: boolean;
  /** Filled in by `certificateIsValid`. */
  certificate?: Extract<CertificateVerdict, { ok: true }>;
  /** Filled in by `deviceIsRegistered`. */
  credential?: DeviceCredential;
}

export interface ConnectRefusal {
  code: ConnackCode;
  reason: ConnectRefusalReason;
  message: string;
}

export type ConnectCheck = (attempt: ConnectAttempt) => ConnectRefusal | undefined | Promise<ConnectRefusal | undefined>;

/** Runs the checks in order; the first refusal wins. */
export async function runConnectChecks(checks: readonly ConnectCheck[], attempt: ConnectAttempt): Promise<ConnectRefusal | undefined> {
  for (const check of checks) {
    const refusal = await check(attempt);
    if (refusal) return refusal;
  }
  return undefined;
}

/** Refusals that count against the source's failed-authentication budget (AUTH_THROTTLE_*). */
export function isAuthenticationFailure(refusal: ConnectRefusal): boolean {
  return AUTHENTICATION_FAILURES.has(refusal.reason);
}

const AUTHENTICATION_FAILURES = new Set<ConnectRefusalReason>(['invalid-client-id', 'client-id-mismatch', 'missing-credentials', 'unknown-device', 'bad-password']);

/**
 * MQTT_MAX_CONNECTIONS: past it a CONNECT is answered 0x03 Server unavailable (MQTT 3.1.1
 * §3.2.2.3), so a well-behaved client backs off instead of seeing a bare socket close.
 */
export function withinCapacity(connectedClients: () => number, maxConnections: number): ConnectCheck {
  return function withinCapacity() {
    if (connectedClients() < maxConnections) return undefined;
    return { code: ConnackCode.ServerUnavailable, reason: 'capacity', message: `connection limit of ${maxConnections} reached` };
  };
}

/** A device always sends both (CONTRACT §3); 0x04 covers a missing user name or password too. */
export function hasCredentials(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (attempt.username && attempt.password?.length) return undefined;
  return { code: ConnackCode.BadUsernameOrPassword, reason: 'missing-credentials', message: 'user name and password are required' };
}

/**
 * A client identifier that cannot be a device id (U+0000, `/`, wildcards, too long) is refused
 * with 0x02 before any database work: such ids used to reach the batched credential lookup,
 * where one of them failed the query for every device waiting in the same batch.
 */
export function clientIdIsDeviceId(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (isValidDeviceId(attempt.clientId)) return undefined;
  return { code: ConnackCode.IdentifierRejected, reason: 'invalid-client-id', message: 'client identifier is not a valid device id' };
}

/** The client identifier must be the device id, which is also the user name (CONTRACT §3). */
export function clientIdIsUsername(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (attempt.clientId === attempt.username) return undefined;
  return { code: ConnackCode.IdentifierRejected, reason: 'client-id-mismatch', message: 'client identifier must equal the user name (the device id)' };
}

/**
 * A device that is not (or no longer) registered is not authorized to connect at all: 0x05.
 * `register`, on the certificate path, may register it on the spot (a CA's auto-registration).
 */
export function deviceIsRegistered(
  lookup: (deviceId: string) => Promise<DeviceCredential | null>,
  register?: (attempt: ConnectAttempt) => Promise<boolean>,
): ConnectCheck {
  return async function deviceIsRegistered(attempt) {
    let credential = await lookup(attempt.clientId);
    if (credential === null && register && (await register(attempt))) credential = await lookup(attempt.clientId);
    if (credential === null) return { code: ConnackCode.NotAuthorized, reason: 'unknown-device', message: 'not a registered device' };
    attempt.credential = credential;
    return undefined;
  };
}

/** The device's sign-in methods (set per device by the operator) must include the one used. */
export function methodAllowed(method: AuthMethod): ConnectCheck {
  return function methodAllowed(attempt) {
    if (attempt.credential?.authMethods.includes(method)) return undefined;
    return { code: ConnackCode.NotAuthorized, reason: 'method-not-allowed', message: `sign-in by ${method} is turned off for this device` };
  };
}

export function passwordMatches(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (attempt.credential && secretMatches(attempt.password!.toString('utf8'), attempt.credential.hash)) return undefined;
  return { code: ConnackCode.BadUsernameOrPassword, reason: 'bad-password', message: 'bad user name or password' };
}

/**
 * A claim session (provisioning by claim): client id `claim/{nonce}`, user name
 * `claim:{claimId}`, the claim secret as password. Used up, expired or revoked: 0x05.
 */
export function claimHolds(check: (claimId: string, secret: string) => Promise<ClaimCheck>): ConnectCheck {
  return async function claimHolds(attempt) {
    if (claimNonceOf(attempt.clientId) === undefined) {
      return { code: ConnackCode.IdentifierRejected, reason: 'client-id-mismatch', message: `a claim session's client identifier is ${CLAIM_CLIENT_ID_PREFIX}{nonce}` };
    }
    const verdict = await check(attempt.username!.slice(CLAIM_USERNAME_PREFIX.length), attempt.password!.toString('utf8'));
    if (verdict === 'ok') return undefined;
    if (verdict === 'bad-secret') return { code: ConnackCode.BadUsernameOrPassword, reason: 'bad-password', message: 'bad user name or password' };
    if (verdict === 'spent') return { code: ConnackCode.NotAuthorized, reason: 'claim-spent', message: 'the claim is used up, expired or revoked' };
    return { code: ConnackCode.NotAuthorized, reason: 'unknown-device', message: 'no such claim' };
  };
}

/** With a certificate the user name may be left out; if sent, it is the device id as on the other listeners. */
export function usernameIsClientIdIfSent(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (attempt.username === undefined || attempt.username === '' || attempt.username === attempt.clientId) return undefined;
  return clientIdIsUsername(attempt);
}

/**
 * A presented certificate must hold (trusted CA, valid now, CN = client id, not revoked);
 * one that does not is refused with 0x05 rather than falling back to a password, so a stolen
 * password cannot ride on a revoked device certificate.
 */
export function certificateIsValid(verify: (certificate: X509Certificate, clientId: string, resumed: boolean) => CertificateVerdict): ConnectCheck {
  return function certificateIsValid(attempt) {
    const verdict = verify(attempt.peerCertificate!, attempt.clientId, attempt.tlsResumed ?? false);
    if (!verdict.ok) return { code: ConnackCode.NotAuthorized, reason: verdict.reason, message: verdict.message };
    attempt.certificate = verdict;
    return undefined;
  };
}
