import { Injectable } from '@nestjs/common';
import { isUuid } from '@edgefleet/common';
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

  async findByName(name: string): Promise<Group | null> {
    const row = await this.prisma.group.findUnique({ where: { name } });
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

  async update(id: string, changes: { name?: string; selector?: DeviceCriteria }, tx: DbTx): Promise<Group> {
    const row = await tx.group.update({ where: { id }, data: { name: changes.name, selector: changes.selector as Prisma.InputJsonValue | undefined } });
    return toGroup(row);
  }

  async delete(id: string, tx: DbTx): Promise<void> {
    await tx.group.delete({ where: { id } });
  }

  /** Idempotent: adding a member twice is not an error. Returns whether it was added now. */
  async addMember(groupId: string, deviceId: string, tx: DbTx): Promise<boolean> {
    const { count } = await tx.groupMember.createMany({ data: [{ groupId, deviceId }], skipDuplicates: true });
    return count > 0;
  }

  /** Adds the registered devices among `deviceIds` (one statement); returns those that are not registered. */
  async addMembers(groupId: string, deviceIds: readonly string[], tx: DbTx): Promise<{ added: number; unknown: string[] }> {
    const known = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM devices WHERE id = ANY(${deviceIds}::text[])`;
    const knownIds = new Set(known.map((row) => row.id));
    const added = await tx.$executeRaw`
      INSERT INTO group_members (group_id, device_id)
      SELECT ${groupId}::uuid, id FROM unnest(${[...knownIds]}::text[]) AS id
      ON CONFLICT DO NOTHING`;
    return { added, unknown: deviceIds.filter((id) => !knownIds.has(id)) };
  }

  async countMembers(groupId: string): Promise<number> {
    return this.prisma.groupMember.count({ where: { groupId } });
  }

  async removeMember(groupId: string, deviceId: string, tx: DbTx): Promise<boolean> {
    const { count } = await tx.groupMember.deleteMany({ where: { groupId, deviceId } });
    return count > 0;
  }
}

function toGroup(row: { id: string; name: string; selector: Prisma.JsonValue | null; createdAt: Date }): Group {
  return { id: row.id, name: row.name, selector: (row.selector as DeviceCriteria | null) ?? null, createdAt: row.createdAt };
}
