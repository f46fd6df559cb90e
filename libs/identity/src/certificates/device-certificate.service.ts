import type { X509Certificate } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, InvalidInputError, NotFoundError } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import { DeviceEvents, DeviceRepository } from '@edgefleet/registry';
import { FleetCa } from '../ca/fleet-ca';
import type { LoadedCa } from '../ca/trusted-ca';
import { type CertificateFacts, normalizeSerial } from '../x509/certificate-facts';
import { verifyCertificateRequest } from '../x509/certificate-request';
import type { DeviceCertificate } from './device-certificate';
import { DeviceCertificateRepository } from './device-certificate.repository';
import { RevokedCertificates } from './revoked-certificates';
import { CertificateSightings } from './certificate-sightings';

/** Device certificates (CONTRACT §9): signed from CSRs by the fleet CA, listed, revoked. */
@Injectable()
export class DeviceCertificateService {
  private readonly logger = new Logger('Identity');
  constructor(
    private readonly fleetCa: FleetCa,
    private readonly certificates: DeviceCertificateRepository,
    private readonly revoked: RevokedCertificates,
    private readonly devices: DeviceRepository,
    private readonly events: DeviceEvents,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
    private readonly sightings: CertificateSightings,
  ) {}

  /**
   * Signs a CSR whose subject CN is the device id; the private key stays on the device. A
   * renewal leaves the older certificates valid until this one is first used.
   */
  async sign(actor: Actor, deviceId: string, csrPem: string, options: { renewal?: boolean } = {}): Promise<DeviceCertificate> {
    const request = await verifyCertificateRequest(csrPem);
    if (request.commonName !== deviceId) throw new InvalidInputError(`the subject CN must be the device id '${deviceId}', not '${request.commonName}'`, 'csr');
    await this.assertDevice(deviceId);
    const issued = await this.fleetCa.issueDeviceCertificate(deviceId, request.publicKey);
    const certificate: DeviceCertificate = {
      serial: issued.serial,
      deviceId,
      fingerprint: issued.fingerprint,
      issuerFingerprint: this.fleetCa.fingerprint,
      certificatePem: issued.certificatePem,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      revokedAt: null,
      renewalPending: options.renewal ?? false,
      createdAt: new Date(),
    };
    await this.transactor.run(async (tx) => {
      await this.certificates.record(certificate, tx);
      const action = options.renewal ? 'device.certificate-renew' : 'device.certificate-issue';
      await this.audit.record(actor, { action, resourceType: 'device', resourceId: deviceId, after: auditView(certificate) }, tx);
    });
    if (certificate.renewalPending) this.revoked.renewalIssued(certificate.fingerprint);
    return certificate;
  }

  /**
   * A device signed in with this certificate (CONNECT accepted). Costs nothing on the hot path
   * beyond set lookups: a renewed certificate's first use retires the ones it renewed, and a
   * certificate from a registered CA seen for the first time is recorded, so it is listed
   * and can be revoked.
   */
  signedIn(deviceId: string, facts: CertificateFacts, issuer: LoadedCa, certificate: X509Certificate): void {
    if (issuer.id !== null && !this.sightings.isKnown(facts.fingerprint)) {
      const { serial, fingerprint, notBefore, notAfter } = facts;
      this.sightings.seen({ serial, deviceId, fingerprint, issuerFingerprint: issuer.fingerprint, certificatePem: certificate.toString(), notBefore, notAfter });
    }
    if (!this.revoked.firstUseOfRenewal(facts.fingerprint)) return;
    this.completeRenewal(deviceId, facts.fingerprint).catch((error: Error) => {
      // Not lost: renewal_pending stays set, so the next start (or sign-in) tries again.
      this.revoked.renewalIssued(facts.fingerprint);
      this.logger.warn(`retiring the certificates renewed by ${facts.fingerprint} of '${deviceId}' failed: ${error.message}`);
    });
  }

  /** A renewed certificate signed a device in for the first time: the ones it renewed are revoked. */
  async completeRenewal(deviceId: string, fingerprint: string): Promise<void> {
    const at = new Date();
    const retired = await this.transactor.run(async (tx) => {
      const fingerprints = await this.certificates.completeRenewal(deviceId, fingerprint, at, tx);
      if (fingerprints.length) {
        await this.audit.record(DEVICE_ACTOR(deviceId), { action: 'device.certificate-revoke', resourceType: 'device', resourceId: deviceId, before: { renewedBy: fingerprint, fingerprints } }, tx);
      }
      return fingerprints;
    });
    for (const old of retired) {
      this.revoked.add(old);
      this.events.emit('certificate-revoked', deviceId, old);
    }
  }

  async list(deviceId: string): Promise<DeviceCertificate[]> {
    await this.assertDevice(deviceId);
    return this.certificates.listForDevice(deviceId);
  }

  /** Refused at CONNECT from now on; a live session signed in with it is closed. Revoking twice changes nothing. */
  async revoke(actor: Actor, deviceId: string, serial: string): Promise<DeviceCertificate> {
    const normalized = normalizeSerial(serial);
    const revoked = await this.transactor.run(async (tx) => {
      const certificate = await this.certificates.findBySerial(deviceId, normalized, tx);
      if (!certificate) throw new NotFoundError('certificate', `${deviceId}/${serial}`);
      if (certificate.revokedAt) return certificate;
      const revokedAt = new Date();
      await this.certificates.revoke(certificate.fingerprint, revokedAt, tx);
      await this.audit.record(actor, { action: 'device.certificate-revoke', resourceType: 'device', resourceId: deviceId, before: auditView(certificate) }, tx);
      return { ...certificate, revokedAt };
    });
    this.revoked.add(revoked.fingerprint);
    this.events.emit('certificate-revoked', deviceId, revoked.fingerprint);
    return revoked;
  }

  private async assertDevice(deviceId: string): Promise<void> {
    if (!(await this.devices.findById(deviceId))) throw new NotFoundError('device', deviceId);
  }
}

/** A device acting on its own certificates over MQTT, as the audit log names it. */
export const DEVICE_ACTOR = (deviceId: string): Actor => ({ id: null, name: `device ${deviceId}`, role: 'system' });

function auditView(certificate: DeviceCertificate): object {
  return { serial: certificate.serial, fingerprint: certificate.fingerprint, notAfter: certificate.notAfter };
}
