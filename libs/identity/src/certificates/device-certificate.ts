/** `active` until revoked or past notAfter. */
export type CertificateState = 'active' | 'revoked' | 'expired';

export interface DeviceCertificate {
  serial: string;
  deviceId: string;
  fingerprint: string;
  issuerFingerprint: string;
  certificatePem: string;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
  /** Issued by renewal and not used yet: its first CONNECT revokes the device's older certificates. */
  renewalPending: boolean;
  createdAt: Date;
}

/** A certificate as it is added to the list: not revoked, listed from now, renewal pending only when said. */
export type NewDeviceCertificate = Omit<DeviceCertificate, 'revokedAt' | 'createdAt' | 'renewalPending'> & { renewalPending?: boolean };

export function certificateState(certificate: Pick<DeviceCertificate, 'revokedAt' | 'notAfter'>, now = new Date()): CertificateState {
  if (certificate.revokedAt) return 'revoked';
  return certificate.notAfter <= now ? 'expired' : 'active';
}
