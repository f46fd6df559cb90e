import { secretMatches } from '@edgefleet/common';
import { isValidDeviceId } from '@edgefleet/contracts';
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
  /** Filled in by `deviceIsRegistered`. */
  credentialHash?: string;
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

/** A device that is not (or no longer) registered is not authorized to connect at all: 0x05. */
export function deviceIsRegistered(lookup: (deviceId: string) => Promise<string | null>): ConnectCheck {
  return async function deviceIsRegistered(attempt) {
    const hash = await lookup(attempt.clientId);
    if (hash === null) return { code: ConnackCode.NotAuthorized, reason: 'unknown-device', message: 'not a registered device' };
    attempt.credentialHash = hash;
    return undefined;
  };
}

export function passwordMatches(attempt: ConnectAttempt): ConnectRefusal | undefined {
  if (attempt.credentialHash && secretMatches(attempt.password!.toString('utf8'), attempt.credentialHash)) return undefined;
  return { code: ConnackCode.BadUsernameOrPassword, reason: 'bad-password', message: 'bad user name or password' };
}
