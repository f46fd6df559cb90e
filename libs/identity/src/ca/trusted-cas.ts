import { X509Certificate } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions, ClusterSignals } from '@edgefleet/cluster';
import { fingerprintOf } from '../x509/certificate-facts';
import { FleetCa } from './fleet-ca';
import type { LoadedCa, TrustedCa } from './trusted-ca';
import { TrustedCaRepository } from './trusted-ca.repository';

/**
 * The CAs a device certificate may chain to, in memory so that CONNECT costs no query: the
 * fleet CA, and every CA registered with `POST /cas` (loaded at start, added as registered).
 * The truth is the trusted_cas table; in a cluster a CA registered on another node is seen
 * here on its `ca-changed` signal, and should the signal be lost, when the signal connection is
 * back and at every session sweep interval (FLEET_SESSION_SWEEP_MS); a lone server has no other
 * node to hear from. One query reloads the whole set; a failed reload keeps the old set.
 */
@Injectable()
export class TrustedCas implements OnModuleInit, OnModuleDestroy {
  /** By subject: a certificate names its issuer, so only CAs with that subject are tried. */
  private readonly bySubject = new Map<string, LoadedCa[]>();

  private readonly logger = new Logger(TrustedCas.name);
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private readonly onChangedElsewhere = (): void => void this.reload();

  constructor(
    private readonly fleetCa: FleetCa,
    private readonly repository: TrustedCaRepository,
    private readonly signals: ClusterSignals,
    @Inject(CLUSTER_OPTIONS) private readonly cluster: ClusterOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.cluster.joined) {
      this.signals.on('ca-changed', this.onChangedElsewhere);
      this.signals.on('resumed', this.onChangedElsewhere);
      this.timer = setInterval(this.onChangedElsewhere, this.cluster.sessionSweepMs).unref();
    }
    const fleet = this.fleetCa.certificate;
    this.add({
      id: null,
      fingerprint: fingerprintOf(fleet.raw),
      subject: fleet.subject,
      certificatePem: this.fleetCa.certificatePem,
      autoRegister: null,
      createdAt: new Date(fleet.validFrom),
    });
    for (const ca of await this.repository.list()) this.add(ca);
  }

  onModuleDestroy(): void {
    this.signals.off('ca-changed', this.onChangedElsewhere);
    this.signals.off('resumed', this.onChangedElsewhere);
    clearInterval(this.timer);
  }

  /** Adds the CAs registered since the last load, one query; at most one reload runs at a time. */
  reload(): Promise<void> {
    this.reloading ??= this.repository
      .list()
      .then((cas) => {
        for (const ca of cas) this.add(ca);
      })
      .catch((error: unknown) => this.logger.warn(`trusted CA reload failed, keeping the loaded set: ${String(error)}`))
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  add(ca: TrustedCa): void {
    const certificate = new X509Certificate(ca.certificatePem);
    const same = this.bySubject.get(certificate.subject) ?? [];
    if (same.some((known) => known.fingerprint === ca.fingerprint)) return;
    this.bySubject.set(certificate.subject, [...same, { ...ca, certificate }]);
  }

  /** The trusted CA whose key signed `certificate`, if any (a self-signed one never matches unless it is itself trusted). */
  issuerOf(certificate: X509Certificate): LoadedCa | undefined {
    const candidates = this.bySubject.get(certificate.issuer);
    if (!candidates) return undefined;
    return candidates.find((ca) => certificate.checkIssued(ca.certificate) && certificate.verify(ca.certificate.publicKey));
  }

  isKnown(fingerprint: string): boolean {
    for (const cas of this.bySubject.values()) if (cas.some((ca) => ca.fingerprint === fingerprint)) return true;
    return false;
  }
}
