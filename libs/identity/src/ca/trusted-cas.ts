import { X509Certificate } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions, ClusterSignals } from '@edgefleet/cluster';
import { fingerprintOf } from '../x509/certificate-facts';
import { FleetCa } from './fleet-ca';
import type { LoadedCa, TrustedCa } from './trusted-ca';
import { TrustedCaRepository } from './trusted-ca.repository';

/** Told the fingerprints of CAs no longer trusted, whether removed here or found gone by a reload. */
export type TrustWithdrawnListener = (fingerprints: string[]) => void;

/** Reads of the table a change made here may outdate before one is kept (each one is a single query). */
const MAX_RELOAD_READS = 3;

/**
 * The CAs a device certificate may chain to, in memory so that CONNECT costs no query: the
 * fleet CA, and every CA registered with `POST /cas` (loaded at start, changed as registered,
 * changed or removed). The truth is the trusted_cas table; in a cluster a change made on another
 * node is seen here on its `ca-changed` signal, and should the signal be lost, when the signal
 * connection is back and at every session sweep interval (FLEET_SESSION_SWEEP_MS); a lone server
 * has no other node to hear from. One query reloads the whole set and replaces it (the fleet CA
 * always stays), so a removal elsewhere is a removal here; a failed reload keeps the old set.
 */
@Injectable()
export class TrustedCas implements OnModuleInit, OnModuleDestroy {
  /** By subject: a certificate names its issuer, so only CAs with that subject are tried. */
  private bySubject = new Map<string, LoadedCa[]>();
  private byFingerprint = new Map<string, LoadedCa>();
  private fleet?: LoadedCa;
  private readonly withdrawnListeners = new Set<TrustWithdrawnListener>();
  /** Counts the changes made here, so a reload whose query ran before one does not undo it. */
  private changes = 0;

  private readonly logger = new Logger(TrustedCas.name);
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  /** A reload asked for while one runs: that one's query may predate the change it was asked for. */
  private queued: Promise<void> | undefined;
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
    this.fleet = {
      id: null,
      fingerprint: fingerprintOf(fleet.raw),
      subject: fleet.subject,
      certificatePem: this.fleetCa.certificatePem,
      autoRegister: null,
      createdAt: new Date(fleet.validFrom),
      certificate: fleet,
    };
    this.replace(await this.repository.list());
  }

  onModuleDestroy(): void {
    this.signals.off('ca-changed', this.onChangedElsewhere);
    this.signals.off('resumed', this.onChangedElsewhere);
    clearInterval(this.timer);
  }

  /** Replaces the set with the table's (and the fleet CA), one query; one reload runs at a time, and one asked for meanwhile runs after it. */
  reload(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.reloading) {
      this.queued = this.reloading.then(() => {
        this.queued = undefined;
        return this.reload();
      });
      return this.queued;
    }
    this.reloading = this.readTable()
      .catch((error: unknown) => this.logger.warn(`trusted CA reload failed, keeping the loaded set: ${String(error)}`))
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /** Adds a CA, or replaces the one with its fingerprint (its policy changed). */
  put(ca: TrustedCa): void {
    this.changes++;
    this.replace([...[...this.byFingerprint.values()].filter((known) => known.id !== null && known.fingerprint !== ca.fingerprint), ca]);
  }

  /** No longer trusted: CONNECTs with certificates chained only to it are refused, and the listeners close live sessions that used it. */
  remove(fingerprint: string): void {
    this.changes++;
    this.replace([...this.byFingerprint.values()].filter((known) => known.id !== null && known.fingerprint !== fingerprint));
  }

  onWithdrawn(listener: TrustWithdrawnListener): void {
    this.withdrawnListeners.add(listener);
  }

  offWithdrawn(listener: TrustWithdrawnListener): void {
    this.withdrawnListeners.delete(listener);
  }

  /** The trusted CA whose key signed `certificate`, if any (a self-signed one never matches unless it is itself trusted). */
  issuerOf(certificate: X509Certificate): LoadedCa | undefined {
    const candidates = this.bySubject.get(certificate.issuer);
    if (!candidates) return undefined;
    return candidates.find((ca) => certificate.checkIssued(ca.certificate) && certificate.verify(ca.certificate.publicKey));
  }

  find(fingerprint: string): LoadedCa | undefined {
    return this.byFingerprint.get(fingerprint);
  }

  isKnown(fingerprint: string): boolean {
    return this.byFingerprint.has(fingerprint);
  }

  private async readTable(): Promise<void> {
    for (let read = 0; read < MAX_RELOAD_READS; read++) {
      const changes = this.changes;
      const cas = await this.repository.list();
      if (changes === this.changes) return this.replace(cas);
    }
  }

  /** The fleet CA and `registered` become the set; the listeners hear of the CAs that left it. */
  private replace(registered: TrustedCa[]): void {
    const bySubject = new Map<string, LoadedCa[]>();
    const byFingerprint = new Map<string, LoadedCa>();
    for (const ca of [this.fleet!, ...registered]) {
      if (byFingerprint.has(ca.fingerprint)) continue;
      // Parsed once per CA: a reload reuses the certificate already held.
      const certificate = this.byFingerprint.get(ca.fingerprint)?.certificate ?? new X509Certificate(ca.certificatePem);
      const loaded: LoadedCa = { ...ca, certificate };
      byFingerprint.set(ca.fingerprint, loaded);
      bySubject.set(certificate.subject, [...(bySubject.get(certificate.subject) ?? []), loaded]);
    }
    const withdrawn = [...this.byFingerprint.keys()].filter((fingerprint) => !byFingerprint.has(fingerprint));
    this.bySubject = bySubject;
    this.byFingerprint = byFingerprint;
    if (withdrawn.length) for (const listener of this.withdrawnListeners) listener(withdrawn);
  }
}
