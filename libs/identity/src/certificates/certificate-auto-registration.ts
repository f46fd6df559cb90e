import { Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '@edgefleet/common';
import { DeviceService } from '@edgefleet/registry';
import { type LoadedCa, caActor } from '../ca/trusted-ca';
import type { CertificateFacts } from '../x509/certificate-facts';
import { PendingDeviceService } from '../pending/pending-device.service';
import { DeviceCertificateRepository } from './device-certificate.repository';

/**
 * Registers a device on its first CONNECT with a valid certificate from a CA whose policy
 * says so (CONTRACT §9): id = the certificate's CN, type and tags from the policy. The audit
 * entry names the CA as the actor.
 */
@Injectable()
export class CertificateAutoRegistration {
  private readonly logger = new Logger('Identity');

  constructor(
    private readonly devices: DeviceService,
    private readonly certificates: DeviceCertificateRepository,
    private readonly pending: PendingDeviceService,
  ) {}

  /** Whether the device is registered now (false: the CA has no auto-registration policy, or it holds the device as pending). */
  async register(deviceId: string, issuer: LoadedCa, facts: CertificateFacts, certificatePem: string): Promise<boolean> {
    const policy = issuer.autoRegister;
    if (!policy) return false;
    if (policy.pending) {
      await this.pending.hold(deviceId, issuer, facts, certificatePem);
      return false;
    }
    const actor = caActor(issuer);
    try {
      await this.devices.register(actor, { id: deviceId, type: policy.type, tags: policy.tags });
      this.logger.log(`registered '${deviceId}' on first CONNECT with a certificate from CA ${issuer.subject.replace(/\n/g, ', ')}`);
    } catch (error) {
      // Two CONNECTs of the same new device raced: the other registered it.
      if (!(error instanceof ConflictError)) throw error;
    }
    await this.certificates.record({
      serial: facts.serial,
      deviceId,
      fingerprint: facts.fingerprint,
      issuerFingerprint: issuer.fingerprint,
      certificatePem,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
    });
    return true;
  }
}
