import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '@edgefleet/observability';
import { DeviceCertificateRepository } from './device-certificate.repository';

const EXPIRING_WINDOW_MS = 30 * 86_400_000;

/** Certificates about to expire, counted when /metrics is read (one indexed count on not_after). */
@Injectable()
export class CertificateMetrics {
  readonly expiring: Gauge;

  constructor(metrics: MetricsRegistry, certificates: DeviceCertificateRepository) {
    this.expiring = new Gauge({
      name: 'edgefleet_device_certificates_expiring',
      help: 'Device certificates, not revoked, whose notAfter is within the next 30 days',
      registers: [metrics.registry],
      async collect() {
        const now = new Date();
        this.set(await certificates.countExpiring(now, new Date(now.getTime() + EXPIRING_WINDOW_MS)));
      },
    });
  }
}
