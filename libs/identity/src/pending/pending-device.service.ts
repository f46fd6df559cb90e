import { X509Certificate } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import { type Device, DeviceService } from '@edgefleet/registry';
import { type LoadedCa, caActor } from '../ca/trusted-ca';
import { TrustedCaRepository } from '../ca/trusted-ca.repository';
import { DeviceCertificateRepository } from '../certificates/device-certificate.repository';
import { type CertificateFacts, factsOf } from '../x509/certificate-facts';
import type { PendingDevice } from './pending-device';
import { PendingDeviceRepository } from './pending-device.repository';

/**
 * The accept queue for CAs whose auto-registration policy says `pending` (like Mender's): a
 * device with a valid certificate from such a CA is held, refused at CONNECT (0x05) until an
 * operator accepts it, and registered then; a rejected one stays refused.
 */
@Injectable()
export class PendingDeviceService implements OnModuleInit {
  /** Ids already held or rejected, so a device retrying its CONNECT costs no write. */
  private readonly known = new Set<string>();

  constructor(
    private readonly pending: PendingDeviceRepository,
    private readonly cas: TrustedCaRepository,
    private readonly certificates: DeviceCertificateRepository,
    private readonly devices: DeviceService,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const id of await this.pending.ids()) this.known.add(id);
  }

  /** Holds the device for an operator's decision (audited the first time, the CA as actor). */
  async hold(deviceId: string, ca: LoadedCa, facts: CertificateFacts, certificatePem: string): Promise<void> {
    if (this.known.has(deviceId) || !ca.id) return;
    const actor = caActor(ca);
    await this.transactor.run(async (tx) => {
      const held = await this.pending.hold({ deviceId, caId: ca.id!, fingerprint: facts.fingerprint, certificatePem, notBefore: facts.notBefore, notAfter: facts.notAfter }, tx);
      if (held) await this.audit.record(actor, { action: 'device.pending', resourceType: 'device', resourceId: deviceId, after: { ca: ca.fingerprint, fingerprint: facts.fingerprint } }, tx);
    });
    this.known.add(deviceId);
  }

  list(): Promise<PendingDevice[]> {
    return this.pending.list();
  }

  /** Registers the device with its CA's policy; its next CONNECT is accepted. */
  async accept(actor: Actor, deviceId: string): Promise<Device> {
    const held = await this.pending.find(deviceId);
    if (!held) throw new NotFoundError('pending device', deviceId);
    const ca = await this.cas.findById(held.caId);
    if (!ca?.autoRegister) throw new ConflictError(`the CA that certified '${deviceId}' no longer has an auto-registration policy`);
    const device = await this.devices.register(actor, { id: deviceId, type: ca.autoRegister.type, tags: ca.autoRegister.tags });
    await this.transactor.run(async (tx) => {
      await this.certificates.record(
        { serial: serialOf(held), deviceId, fingerprint: held.fingerprint, issuerFingerprint: ca.fingerprint, certificatePem: held.certificatePem, notBefore: held.notBefore, notAfter: held.notAfter },
        tx,
      );
      await this.pending.remove(deviceId, tx);
      await this.audit.record(actor, { action: 'device.accept', resourceType: 'device', resourceId: deviceId }, tx);
    });
    this.known.delete(deviceId);
    return device;
  }

  /** Kept as rejected: its CONNECTs stay refused, and it is not held again. */
  async reject(actor: Actor, deviceId: string): Promise<void> {
    await this.transactor.run(async (tx) => {
      if (!(await this.pending.find(deviceId, tx))) throw new NotFoundError('pending device', deviceId);
      await this.pending.reject(deviceId, new Date(), tx);
      await this.audit.record(actor, { action: 'device.reject', resourceType: 'device', resourceId: deviceId }, tx);
    });
  }
}

function serialOf(held: PendingDevice): string {
  return factsOf(new X509Certificate(held.certificatePem)).serial;
}
