import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Batch, bisectBatch } from '@edgefleet/common';
import { isRowFault, postgresErrorCode } from '@edgefleet/database';
import { MetricsRegistry } from '@edgefleet/observability';
import type { NewDeviceCertificate } from './device-certificate';
import { DeviceCertificateRepository } from './device-certificate.repository';

/** Sightings collected this long are written as one insert (a connect storm of new certificates is a few queries). */
const COLLECT_MS = 100;
/** Waiting to be written at most; past it a sighting is dropped, and recorded at the device's next sign-in. */
const MAX_WAITING = 20_000;
/** Fingerprints known to be in device_certificates; past the limit it starts over (recording again is a no-op). */
const MAX_KNOWN = 100_000;

/** A row's own fault: its data (class 22), or a constraint such as its device deleted since the CONNECT (class 23). */
const isRefusedRow = (error: unknown) => isRowFault(error) || postgresErrorCode(error).startsWith('23');

/**
 * Registered-CA certificates seen at CONNECT for the first time, recorded in device_certificates
 * so they are listed and can be revoked. Off the CONNECT path: collected and written in
 * batches. A row Postgres refuses is refused alone; a failed write (the database is down) is
 * not retried here: those certificates are forgotten as known and recorded at their next
 * sign-in.
 */
@Injectable()
export class CertificateSightings implements OnModuleDestroy {
  private readonly logger = new Logger('Identity');
  private readonly known = new Set<string>();
  private waiting = 0;
  private readonly batch = new Batch<NewDeviceCertificate>(COLLECT_MS, (rows) => this.write(rows));
  private readonly dropped: Counter;

  constructor(
    private readonly certificates: DeviceCertificateRepository,
    metrics: MetricsRegistry,
  ) {
    const sightings = this;
    new Gauge({
      name: 'edgefleet_certificate_sightings_waiting',
      help: 'Certificates from registered CAs seen at CONNECT for the first time, waiting to be recorded',
      registers: [metrics.registry],
      collect() {
        this.set(sightings.waiting);
      },
    });
    this.dropped = new Counter({
      name: 'edgefleet_certificate_sightings_dropped_total',
      help: 'First sightings of certificates not recorded (queue full, or the write failed); each is recorded at its next sign-in',
      registers: [metrics.registry],
    });
  }

  /** Whether the certificate is known to be recorded, or waiting to be. */
  isKnown(fingerprint: string): boolean {
    return this.known.has(fingerprint);
  }

  /** A certificate signed a device in: recorded unless it is known to be. */
  seen(certificate: NewDeviceCertificate): void {
    if (this.known.has(certificate.fingerprint)) return;
    if (this.waiting >= MAX_WAITING) return this.dropped.inc();
    if (this.known.size >= MAX_KNOWN) this.known.clear();
    this.known.add(certificate.fingerprint);
    this.waiting++;
    this.batch.add(certificate);
  }

  /** Writes what is waiting (shutdown, tests). */
  flush(): Promise<void> {
    return this.batch.drain();
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private forget(rows: NewDeviceCertificate[]): void {
    for (const row of rows) this.known.delete(row.fingerprint);
    this.dropped.inc(rows.length);
  }

  private async write(rows: NewDeviceCertificate[]): Promise<void> {
    try {
      const outcome = await bisectBatch(rows, (part) => this.certificates.recordAll(part), isRefusedRow);
      for (const { row, error } of outcome.refused) {
        this.forget([row]);
        this.logger.warn(`recording the certificate ${row.fingerprint} of '${row.deviceId}' failed: ${error.message}`);
      }
      if (outcome.unwritten) {
        this.forget(outcome.unwritten.rows);
        this.logger.warn(`recording ${outcome.unwritten.rows.length} certificate(s) first seen at CONNECT failed (each is recorded at its next sign-in): ${outcome.unwritten.error.message}`);
      }
    } finally {
      this.waiting -= rows.length;
    }
  }
}
