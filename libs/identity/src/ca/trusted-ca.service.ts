import { X509Certificate } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { ClusterSignals } from '@edgefleet/cluster';
import { type Actor, ConflictError, InvalidInputError, NotFoundError } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import { fingerprintOf } from '../x509/certificate-facts';
import type { AutoRegisterPolicy, TrustedCa } from './trusted-ca';
import { TrustedCaRepository } from './trusted-ca.repository';
import { TrustedCas } from './trusted-cas';

/** CAs besides the fleet CA whose device certificates sign devices in (CONTRACT §9 `POST /cas`), their policies changed and their trust withdrawn. */
@Injectable()
export class TrustedCaService {
  constructor(
    private readonly repository: TrustedCaRepository,
    private readonly trusted: TrustedCas,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
    private readonly signals: ClusterSignals,
  ) {}

  async register(actor: Actor, certificatePem: string, autoRegister: AutoRegisterPolicy | null): Promise<TrustedCa> {
    const certificate = parseCaCertificate(certificatePem);
    const fingerprint = fingerprintOf(certificate.raw);
    if (this.trusted.isKnown(fingerprint)) throw new ConflictError(`CA ${fingerprint} is already trusted`);
    const ca = await this.transactor.run(async (tx) => {
      const created = await this.repository.create({ fingerprint, subject: certificate.subject, certificatePem: certificate.toString(), autoRegister }, tx);
      await this.audit.record(actor, { action: 'ca.register', resourceType: 'ca', resourceId: created.id!, after: { fingerprint, subject: created.subject, autoRegister } }, tx);
      return created;
    });
    this.trusted.put(ca);
    this.signals.send('ca-changed', ca.fingerprint);
    return ca;
  }

  /** A new auto-registration policy (null: none) for devices not registered yet; registered ones are left as they are. */
  async changePolicy(actor: Actor, id: string, autoRegister: AutoRegisterPolicy | null): Promise<TrustedCa> {
    const ca = await this.transactor.run(async (tx) => {
      const before = await this.repository.findById(id, tx);
      if (!before) throw new NotFoundError('ca', id);
      const changed = await this.repository.setAutoRegister(id, autoRegister, tx);
      await this.audit.record(actor, { action: 'ca.update', resourceType: 'ca', resourceId: id, before: { autoRegister: before.autoRegister }, after: { autoRegister } }, tx);
      return changed;
    });
    this.trusted.put(ca);
    this.signals.send('ca-changed', ca.fingerprint);
    return ca;
  }

  /**
   * Stops trusting the CA: a certificate chained only to it is refused at CONNECT, and a live
   * session that signed in with one is closed (TrustedCas tells the broker). The certificates it
   * issued stay listed under their devices.
   */
  async remove(actor: Actor, id: string): Promise<void> {
    const ca = await this.transactor.run(async (tx) => {
      const found = await this.repository.findById(id, tx);
      if (!found) throw new NotFoundError('ca', id);
      await this.repository.remove(id, tx);
      await this.audit.record(actor, { action: 'ca.remove', resourceType: 'ca', resourceId: id, before: { fingerprint: found.fingerprint, subject: found.subject, autoRegister: found.autoRegister } }, tx);
      return found;
    });
    this.trusted.remove(ca.fingerprint);
    this.signals.send('ca-changed', ca.fingerprint);
  }

  list(): Promise<TrustedCa[]> {
    return this.repository.list();
  }
}

function parseCaCertificate(pem: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new InvalidInputError('must be a PEM X.509 certificate', 'certificate');
  }
  if (!certificate.ca) throw new InvalidInputError('is not a CA certificate (basicConstraints CA:TRUE)', 'certificate');
  if (Date.parse(certificate.validTo) <= Date.now()) throw new InvalidInputError('has expired', 'certificate');
  return certificate;
}
