import type { X509Certificate } from 'node:crypto';
import type { Actor } from '@edgefleet/common';
import type { Tags } from '@edgefleet/contracts';

/** What a CA's devices get when they first connect unregistered. */
export interface AutoRegisterPolicy {
  type: string;
  tags?: Tags;
  /** Hold such a device as pending for an operator to accept or reject, instead of registering it at once. */
  pending?: boolean;
}

export interface TrustedCa {
  /** null for the fleet CA itself. */
  id: string | null;
  fingerprint: string;
  subject: string;
  certificatePem: string;
  autoRegister: AutoRegisterPolicy | null;
  createdAt: Date;
}

/** A trusted CA with its parsed certificate, held in memory for CONNECT. */
export interface LoadedCa extends TrustedCa {
  certificate: X509Certificate;
}

/** The audit log's actor for what a CA's auto-registration policy does. */
export function caActor(ca: Pick<TrustedCa, 'fingerprint'>): Actor {
  return { id: null, name: `ca ${ca.fingerprint.slice(0, 16)} auto-registration`, role: 'system' };
}
