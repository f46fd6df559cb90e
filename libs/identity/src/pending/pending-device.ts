export interface PendingDevice {
  deviceId: string;
  caId: string;
  fingerprint: string;
  certificatePem: string;
  notBefore: Date;
  notAfter: Date;
  rejectedAt: Date | null;
  firstSeenAt: Date;
}
