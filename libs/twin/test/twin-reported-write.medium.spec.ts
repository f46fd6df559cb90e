import { PrismaService } from '@edgefleet/database';
import { TestApp } from '../../../test/support/test-app';
import type { ReportedWrite } from '../src/twin';
import { TwinRepository } from '../src/twin.repository';

/** The batched reported-state writer against a real Postgres: which rows it updates, inserts, skips, and what it mirrors. */
describe('TwinRepository.writeReported (real Postgres)', () => {
  let t: TestApp;
  let repository: TwinRepository;
  let prisma: PrismaService;
  beforeAll(async () => {
    t = await TestApp.start();
    repository = t.app.get(TwinRepository);
    prisma = t.app.get(PrismaService);
  });
  afterAll(() => t.stop());

  const write = (deviceId: string, reportedVersion: number, firmware: string | null, firmwareChanged: boolean): ReportedWrite => ({
    deviceId,
    reported: { v: reportedVersion, ...(firmware ? { firmware: { version: firmware } } : {}) },
    reportedMeta: { v: new Date().toISOString() },
    reportedVersion,
    firmwareVersion: firmware,
    firmwareChanged,
  });
  const row = async (deviceId: string) => {
    const [found] = await prisma.$queryRaw<Array<{ reported: { v: number }; reported_version: number; firmware_version: string | null }>>`
      SELECT t.reported, t.reported_version, d.firmware_version FROM devices d LEFT JOIN device_twins t ON t.device_id = d.id WHERE d.id = ${deviceId}`;
    return found;
  };

  it('inserts missing rows, updates older ones, skips newer rows and unknown devices, in one call', async () => {
    for (const id of ['rw-new', 'rw-desired', 'rw-ahead']) await t.registerDevice(id);
    // A desired change creates the row with reported_version 0; another server already wrote version 9 of rw-ahead.
    await prisma.$executeRaw`INSERT INTO device_twins (device_id, desired, desired_version) VALUES ('rw-desired', '{"mode":"eco"}', 1)`;
    await prisma.$executeRaw`INSERT INTO device_twins (device_id, reported, reported_version) VALUES ('rw-ahead', '{"v":9}', 9)`;

    const written = await repository.writeReported([
      write('rw-new', 1, '1.0.0', true),
      write('rw-desired', 3, null, false),
      write('rw-ahead', 4, null, false),
      write('rw-unknown', 1, null, false),
    ]);

    expect([...written].sort()).toEqual(['rw-desired', 'rw-new']);
    expect(await row('rw-new')).toEqual({ reported: { v: 1, firmware: { version: '1.0.0' } }, reported_version: 1, firmware_version: '1.0.0' });
    expect(await row('rw-desired')).toMatchObject({ reported: { v: 3 }, reported_version: 3 });
    expect(await row('rw-ahead')).toMatchObject({ reported: { v: 9 }, reported_version: 9 });
    expect(await row('rw-unknown')).toBeUndefined();
  });

  it('writes the documents as they were when called, though they change while it runs (the ingest merges in place)', async () => {
    await t.registerDevice('rw-snapshot'); // no twin row yet: the update finds nothing, the insert writes it
    const pending = write('rw-snapshot', 1, null, false);
    const written = repository.writeReported([pending]);
    pending.reported.v = 99;
    pending.reportedMeta.v = 'later';
    expect(await written).toEqual(new Set(['rw-snapshot']));
    expect(await row('rw-snapshot')).toMatchObject({ reported: { v: 1 }, reported_version: 1 });
  });

  it('mirrors firmware into the registry for the writes that change it, with the update that carries it', async () => {
    await t.registerDevice('rw-fw');
    await repository.writeReported([write('rw-fw', 1, '1.0.0', true)]);
    await repository.writeReported([write('rw-fw', 2, '2.0.0', true)]);
    expect(await row('rw-fw')).toMatchObject({ reported_version: 2, firmware_version: '2.0.0' });

    // An update that loses to a newer row mirrors nothing either.
    await prisma.$executeRaw`UPDATE device_twins SET reported_version = 10 WHERE device_id = 'rw-fw'`;
    expect(await repository.writeReported([write('rw-fw', 3, '3.0.0', true)])).toEqual(new Set());
    expect(await row('rw-fw')).toMatchObject({ reported_version: 10, firmware_version: '2.0.0' });
  });
});
