import { MetricsRegistry } from '@edgefleet/observability';
import { CertificateSightings } from '../src/certificates/certificate-sightings';
import type { NewDeviceCertificate } from '../src/certificates/device-certificate';
import type { DeviceCertificateRepository } from '../src/certificates/device-certificate.repository';

/** A Postgres error as the driver adapter surfaces it. */
const postgresError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

const sighting = (n: number): NewDeviceCertificate => ({
  serial: n.toString(16).toUpperCase(),
  deviceId: `dev-${n}`,
  fingerprint: `FP${n}`,
  issuerFingerprint: 'CA',
  certificatePem: '-----BEGIN CERTIFICATE-----',
  notBefore: new Date(0),
  notAfter: new Date(86_400_000),
});

describe('CertificateSightings', () => {
  let writes: NewDeviceCertificate[][];
  let fail: (rows: NewDeviceCertificate[]) => Error | undefined;
  let metrics: MetricsRegistry;
  let sightings: CertificateSightings;
  beforeEach(() => {
    writes = [];
    fail = () => undefined;
    const repository = {
      recordAll: async (rows: NewDeviceCertificate[]) => {
        const error = fail(rows);
        if (error) throw error;
        writes.push(rows);
      },
    } as unknown as DeviceCertificateRepository;
    metrics = new MetricsRegistry();
    sightings = new CertificateSightings(repository, metrics);
  });
  const dropped = async () => (await metrics.registry.getSingleMetric('edgefleet_certificate_sightings_dropped_total')!.get()).values[0]?.value ?? 0;

  it('writes the certificates first seen together as one insert, and each one once', async () => {
    for (let i = 0; i < 50; i++) sightings.seen(sighting(i));
    sightings.seen(sighting(7));
    expect(sightings.isKnown('FP7')).toBe(true);
    await sightings.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].map((row) => row.deviceId)).toEqual(Array.from({ length: 50 }, (_, i) => `dev-${i}`));
    sightings.seen(sighting(7));
    await sightings.flush();
    expect(writes).toHaveLength(1);
  });

  it('refuses a row Postgres refuses (its device deleted since) alone, and records the rest', async () => {
    fail = (rows) => (rows.some((row) => row.deviceId === 'dev-3') ? postgresError('23503') : undefined);
    for (let i = 0; i < 8; i++) sightings.seen(sighting(i));
    await sightings.flush();
    expect(writes.flat().map((row) => row.deviceId).sort()).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-4', 'dev-5', 'dev-6', 'dev-7']);
    expect(sightings.isKnown('FP3')).toBe(false);
    expect(await dropped()).toBe(1);
  });

  it('forgets what a failed write held (the database down), so the next sign-in records it', async () => {
    fail = () => new Error('connect ECONNREFUSED');
    sightings.seen(sighting(1));
    sightings.seen(sighting(2));
    await sightings.flush();
    expect(writes).toHaveLength(0);
    expect(sightings.isKnown('FP1')).toBe(false);
    expect(await dropped()).toBe(2);
    fail = () => undefined;
    sightings.seen(sighting(1));
    await sightings.flush();
    expect(writes).toEqual([[sighting(1)]]);
  });

  it('holds at most 20,000 waiting: past that a sighting is dropped (and counted), not queued', async () => {
    for (let i = 0; i < 20_001; i++) sightings.seen(sighting(i));
    expect(sightings.isKnown('FP20000')).toBe(false);
    expect(await dropped()).toBe(1);
    await sightings.flush();
    expect(writes.flat()).toHaveLength(20_000);
  });
});
