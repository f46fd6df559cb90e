import { Injectable } from '@nestjs/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';
import type { DeviceCertificate, NewDeviceCertificate } from './device-certificate';

type CertificateRow = Prisma.DeviceCertificateGetPayload<object>;

@Injectable()
export class DeviceCertificateRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Idempotent by fingerprint: recording a certificate already known changes nothing. */
  async record(certificate: NewDeviceCertificate, tx: DbTx = this.prisma): Promise<void> {
    await this.recordAll([certificate], tx);
  }

  /** Certificates not listed yet are added; those already listed (by fingerprint or serial) are left as they are. */
  async recordAll(certificates: NewDeviceCertificate[], tx: DbTx = this.prisma): Promise<void> {
    await tx.deviceCertificate.createMany({ data: certificates, skipDuplicates: true });
  }

  async listForDevice(deviceId: string): Promise<DeviceCertificate[]> {
    const rows = await this.prisma.deviceCertificate.findMany({ where: { deviceId }, orderBy: [{ createdAt: 'desc' }, { fingerprint: 'asc' }] });
    return rows.map(toDeviceCertificate);
  }

  async findBySerial(deviceId: string, serial: string, tx: DbTx = this.prisma): Promise<DeviceCertificate | null> {
    const row = await tx.deviceCertificate.findUnique({ where: { deviceId_serial: { deviceId, serial } } });
    return row ? toDeviceCertificate(row) : null;
  }

  async revoke(fingerprint: string, at: Date, tx: DbTx): Promise<void> {
    await tx.deviceCertificate.update({ where: { fingerprint }, data: { revokedAt: at } });
  }

  /** Fingerprints of revoked certificates not yet expired: the ones a CONNECT could still present. */
  async revokedUnexpired(now: Date): Promise<string[]> {
    const rows = await this.prisma.deviceCertificate.findMany({ where: { revokedAt: { not: null }, notAfter: { gt: now } }, select: { fingerprint: true } });
    return rows.map((row) => row.fingerprint);
  }

  /** Fingerprints of certificates revoked at or after `since`. */
  async revokedSince(since: Date): Promise<string[]> {
    const rows = await this.prisma.deviceCertificate.findMany({ where: { revokedAt: { gte: since } }, select: { fingerprint: true } });
    return rows.map((row) => row.fingerprint);
  }

  /** Fingerprints of renewed certificates not used yet. */
  async renewalsPending(): Promise<string[]> {
    const rows = await this.prisma.deviceCertificate.findMany({ where: { renewalPending: true, revokedAt: null }, select: { fingerprint: true } });
    return rows.map((row) => row.fingerprint);
  }

  /**
   * The renewed certificate has been used: it is no longer pending, and the device's other
   * certificates still in force that are older than it are revoked. Returns their fingerprints.
   */
  async completeRenewal(deviceId: string, fingerprint: string, at: Date, tx: DbTx): Promise<string[]> {
    const renewed = await tx.deviceCertificate.update({ where: { fingerprint }, data: { renewalPending: false } });
    const older = await tx.deviceCertificate.findMany({
      where: { deviceId, revokedAt: null, createdAt: { lt: renewed.createdAt }, fingerprint: { not: fingerprint } },
      select: { fingerprint: true },
    });
    const fingerprints = older.map((row) => row.fingerprint);
    if (fingerprints.length) await tx.deviceCertificate.updateMany({ where: { fingerprint: { in: fingerprints } }, data: { revokedAt: at } });
    return fingerprints;
  }

  /** Certificates in use (not revoked) whose notAfter falls in [now, before). */
  async countExpiring(now: Date, before: Date): Promise<number> {
    return this.prisma.deviceCertificate.count({ where: { revokedAt: null, notAfter: { gte: now, lt: before } } });
  }
}

function toDeviceCertificate(row: CertificateRow): DeviceCertificate {
  return {
    serial: row.serial,
    deviceId: row.deviceId,
    fingerprint: row.fingerprint,
    issuerFingerprint: row.issuerFingerprint,
    certificatePem: row.certificatePem,
    notBefore: row.notBefore,
    notAfter: row.notAfter,
    revokedAt: row.revokedAt,
    renewalPending: row.renewalPending,
    createdAt: row.createdAt,
  };
}
