import { X509Certificate } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { ClusterSignals } from '@edgefleet/cluster';
import { type Actor, ConflictError, InvalidInputError } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import { fingerprintOf } from '../x509/certificate-facts';
import type { AutoRegisterPolicy, TrustedCa } from './trusted-ca';
import { TrustedCaRepository } from './trusted-ca.repository';
import { TrustedCas } from './trusted-cas';

/** CAs besides the fleet CA whose device certificates sign devices in (CONTRACT §9 `POST /cas`). */
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
    this.trusted.add(ca);
    this.signals.send('ca-changed', ca.fingerprint);
    return ca;
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
