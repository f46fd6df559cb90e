import { Injectable } from '@nestjs/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';
import type { DeviceCriteria } from '../devices/device-filter';
import type { Group } from './group';

@Injectable()
export class GroupRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(name: string, selector: DeviceCriteria | null, tx: DbTx): Promise<Group> {
    const row = await tx.group.create({ data: { name, selector: (selector ?? undefined) as Prisma.InputJsonValue | undefined } });
    return toGroup(row);
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<Group | null> {
    if (!isUuid(id)) return null;
    const row = await tx.group.findUnique({ where: { id } });
    return row ? toGroup(row) : null;
  }

  async list(limit: number, afterId?: string): Promise<Group[]> {
    const rows = await this.prisma.group.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    return rows.map(toGroup);
  }

  async delete(id: string, tx: DbTx): Promise<void> {
    await tx.group.delete({ where: { id } });
  }

  /** Idempotent: adding a member twice is not an error. Returns whether it was added now. */
  async addMember(groupId: string, deviceId: string, tx: DbTx): Promise<boolean> {
    const { count } = await tx.groupMember.createMany({ data: [{ groupId, deviceId }], skipDuplicates: true });
    return count > 0;
  }

  async removeMember(groupId: string, deviceId: string, tx: DbTx): Promise<boolean> {
    const { count } = await tx.groupMember.deleteMany({ where: { groupId, deviceId } });
    return count > 0;
  }
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

function toGroup(row: { id: string; name: string; selector: Prisma.JsonValue | null; createdAt: Date }): Group {
  return { id: row.id, name: row.name, selector: (row.selector as DeviceCriteria | null) ?? null, createdAt: row.createdAt };
}
