import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, InvalidInputError, NotFoundError, PreconditionFailedError, hashSecret, isUuid, newSecret, secretMatches } from '@edgefleet/common';
import { CLAIM_USERNAME_PREFIX, type ClaimRequest } from '@edgefleet/contracts';
import { Transactor } from '@edgefleet/database';
import { type DeviceCredentials, DeviceService } from '@edgefleet/registry';
import { type DeviceCertificate } from '../certificates/device-certificate';
import { DeviceCertificateService } from '../certificates/device-certificate.service';
import { verifyCertificateRequest } from '../x509/certificate-request';
import type { NewClaim, ProvisioningClaim } from './provisioning-claim';
import { ProvisioningClaimRepository } from './provisioning-claim.repository';

export const MAX_CLAIM_USES = 1_000_000;

export type ClaimCheck = 'ok' | 'unknown' | 'bad-secret' | 'spent';

export interface ProvisionedDevice {
  deviceId: string;
  certificate?: DeviceCertificate;
  credentials?: DeviceCredentials;
}

/**
 * Provisioning by claim: an operator makes a claim (type, tags, uses, expiry) and burns its
 * credential into a batch of devices; each device connects with it, asks for its own id, and
 * gets its own certificate (from a CSR) or password once.
 */
@Injectable()
export class ProvisioningClaimService {
  constructor(
    private readonly claims: ProvisioningClaimRepository,
    private readonly devices: DeviceService,
    private readonly certificates: DeviceCertificateService,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  async create(actor: Actor, claim: NewClaim): Promise<{ claim: ProvisioningClaim; credentials: DeviceCredentials }> {
    if (!Number.isSafeInteger(claim.maxUses) || claim.maxUses < 1 || claim.maxUses > MAX_CLAIM_USES) {
      throw new InvalidInputError(`must be a whole number from 1 to ${MAX_CLAIM_USES}`, 'uses');
    }
    if (claim.expiresAt.getTime() <= Date.now()) throw new InvalidInputError('must be in the future', 'expiresAt');
    const secret = newSecret('efc_');
    const created = await this.transactor.run(async (tx) => {
      const row = await this.claims.create(claim, hashSecret(secret), tx);
      await this.audit.record(actor, { action: 'claim.create', resourceType: 'claim', resourceId: row.id, after: row }, tx);
      return row;
    });
    return { claim: created, credentials: { username: `${CLAIM_USERNAME_PREFIX}${created.id}`, password: secret } };
  }

  list(): Promise<ProvisioningClaim[]> {
    return this.claims.list();
  }

  /** No more devices may use it; devices it already provisioned keep their identities. */
  async revoke(actor: Actor, id: string): Promise<void> {
    await this.transactor.run(async (tx) => {
      const claim = await this.claims.findWithSecret(id, tx);
      if (!claim) throw new NotFoundError('claim', id);
      await this.claims.revoke(id, new Date(), tx);
      await this.audit.record(actor, { action: 'claim.revoke', resourceType: 'claim', resourceId: id }, tx);
    });
  }

  /** At CONNECT: whether the claim credential holds and the claim can still provision a device. */
  async check(claimId: string, secret: string): Promise<ClaimCheck> {
    const claim = isUuid(claimId) ? await this.claims.findWithSecret(claimId) : null;
    if (!claim) return 'unknown';
    if (!secretMatches(secret, claim.secretHash)) return 'bad-secret';
    return usable(claim) ? 'ok' : 'spent';
  }

  /**
   * Registers the device the claim session asked for, with the claim's type and tags, and
   * signs its CSR or gives it a password. One use of the claim is taken first; if the id turns
   * out to be taken the use is given back.
   */
  async provision(claimId: string, request: ClaimRequest): Promise<ProvisionedDevice> {
    if (request.csr !== undefined) {
      const csr = await verifyCertificateRequest(request.csr);
      if (csr.commonName !== request.deviceId) throw new InvalidInputError(`the subject CN must be the device id '${request.deviceId}'`, 'csr');
    }
    const claim = await this.claims.findWithSecret(claimId);
    if (!claim) throw new NotFoundError('claim', claimId);
    const taken = await this.transactor.run((tx) => this.claims.takeUse(claimId, new Date(), tx));
    if (!taken) throw new PreconditionFailedError('the claim is used up, expired or revoked');
    const actor: Actor = { id: null, name: `claim ${claimId}`, role: 'system' };
    let registered;
    try {
      registered = await this.devices.register(actor, { id: request.deviceId, type: claim.type, tags: claim.tags });
    } catch (error) {
      await this.transactor.run((tx) => this.claims.returnUse(claimId, tx));
      if (error instanceof ConflictError) throw new ConflictError(`device id '${request.deviceId}' is already registered`);
      throw error;
    }
    if (request.csr === undefined) return { deviceId: registered.id, credentials: registered.credentials };
    return { deviceId: registered.id, certificate: await this.certificates.sign(actor, registered.id, request.csr) };
  }
}

function usable(claim: ProvisioningClaim): boolean {
  return claim.revokedAt === null && claim.used < claim.maxUses && claim.expiresAt.getTime() > Date.now();
}
