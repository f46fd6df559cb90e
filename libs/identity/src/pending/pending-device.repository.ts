import { Injectable } from '@nestjs/common';
import { type DbTx, PrismaService } from '@edgefleet/database';
import type { PendingDevice } from './pending-device';

@Injectable()
export class PendingDeviceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** True when the device was not held (or rejected) before. */
  async hold(device: Omit<PendingDevice, 'rejectedAt' | 'firstSeenAt'>, tx: DbTx): Promise<boolean> {
    const { count } = await tx.pendingDevice.createMany({ data: [device], skipDuplicates: true });
    return count === 1;
  }

  async list(): Promise<PendingDevice[]> {
    return this.prisma.pendingDevice.findMany({ orderBy: [{ firstSeenAt: 'asc' }, { deviceId: 'asc' }] });
  }

  /** Ids held or rejected: CONNECTs from them are refused without writing again. */
  async ids(): Promise<string[]> {
    return (await this.prisma.pendingDevice.findMany({ select: { deviceId: true } })).map((row) => row.deviceId);
  }

  async find(deviceId: string, tx: DbTx = this.prisma): Promise<PendingDevice | null> {
    return tx.pendingDevice.findUnique({ where: { deviceId } });
  }

  async remove(deviceId: string, tx: DbTx): Promise<void> {
    await tx.pendingDevice.deleteMany({ where: { deviceId } });
  }

  async reject(deviceId: string, at: Date, tx: DbTx): Promise<void> {
    await tx.pendingDevice.update({ where: { deviceId }, data: { rejectedAt: at } });
  }
}
