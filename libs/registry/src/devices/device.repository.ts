import { Injectable } from '@nestjs/common';
import { type DbTx, type Prisma, PrismaService } from '@edgefleet/database';
import { tagsFromList, tagsToList } from '@edgefleet/contracts';
import type { Device, DeviceChanges, NewDevice } from './device';
import type { DeviceCriteria, DeviceQuery } from './device-filter';

const columns = {
  id: true,
  name: true,
  type: true,
  tags: true,
  online: true,
  lastSeenAt: true,
  firmwareVersion: true,
  createdAt: true,
  updatedAt: true,
} as const;

type DeviceRow = Prisma.DeviceGetPayload<{ select: typeof columns }>;

@Injectable()
export class DeviceRepository {
  constructor(private readonly prisma: PrismaService) {}

  async createMany(devices: NewDevice[], tx: DbTx): Promise<void> {
    await tx.device.createMany({
      data: devices.map((device) => ({ ...device, tags: tagsToList(device.tags) })),
    });
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<Device | null> {
    const row = await tx.device.findUnique({ where: { id }, select: columns });
    return row ? toDevice(row) : null;
  }

  async findByIds(ids: string[], tx: DbTx = this.prisma): Promise<Device[]> {
    const rows = await tx.device.findMany({ where: { id: { in: ids } }, select: columns, orderBy: { id: 'asc' } });
    return rows.map(toDevice);
  }

  async existingIds(ids: string[]): Promise<string[]> {
    const rows = await this.prisma.device.findMany({ where: { id: { in: ids } }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  /** One page ordered by id, `limit + 1` rows so the caller knows whether more exist. */
  async list(query: DeviceQuery, limit: number, afterId?: string): Promise<Device[]> {
    const rows = await this.prisma.device.findMany({
      where: { AND: [toWhere(query), afterId === undefined ? {} : { id: { gt: afterId } }] },
      orderBy: { id: 'asc' },
      take: limit + 1,
      select: columns,
    });
    return rows.map(toDevice);
  }

  async update(id: string, changes: DeviceChanges, tx: DbTx): Promise<Device> {
    const row = await tx.device.update({
      where: { id },
      data: { name: changes.name, tags: changes.tags ? tagsToList(changes.tags) : undefined },
      select: columns,
    });
    return toDevice(row);
  }

  async setCredentialHash(id: string, credentialHash: string, tx: DbTx): Promise<void> {
    await tx.device.update({ where: { id }, data: { credentialHash } });
  }

  async findCredentialHash(id: string): Promise<string | null> {
    const row = await this.prisma.device.findUnique({ where: { id }, select: { credentialHash: true } });
    return row?.credentialHash ?? null;
  }

  async delete(id: string, tx: DbTx): Promise<void> {
    await tx.device.delete({ where: { id } });
  }
}

export function toWhere(query: DeviceQuery): Prisma.DeviceWhereInput {
  const clauses: Prisma.DeviceWhereInput[] = query.criteria.map(criteriaToWhere);
  if (query.memberOfGroupId) clauses.push({ memberships: { some: { groupId: query.memberOfGroupId } } });
  return { AND: clauses };
}

function criteriaToWhere(criteria: DeviceCriteria): Prisma.DeviceWhereInput {
  const where: Prisma.DeviceWhereInput = {};
  if (criteria.type !== undefined) where.type = criteria.type;
  if (criteria.status !== undefined) where.online = criteria.status === 'online';
  if (criteria.firmware !== undefined) where.firmwareVersion = criteria.firmware;
  if (criteria.tag?.length) where.tags = { hasEvery: criteria.tag };
  if (criteria.q) {
    where.OR = [
      { id: { contains: criteria.q, mode: 'insensitive' } },
      { name: { contains: criteria.q, mode: 'insensitive' } },
    ];
  }
  return where;
}

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    tags: tagsFromList(row.tags),
    status: row.online ? 'online' : 'offline',
    lastSeenAt: row.lastSeenAt,
    firmwareVersion: row.firmwareVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
