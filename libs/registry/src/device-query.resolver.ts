import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@edgefleet/common';
import type { DeviceCriteria, DeviceQuery } from './devices/device-filter';
import { GroupRepository } from './groups/group.repository';

/** Turns list filters, including `group` (an id or a name), into one repository query. */
@Injectable()
export class DeviceQueryResolver {
  constructor(private readonly groups: GroupRepository) {}

  async resolve(criteria: DeviceCriteria, groupId?: string): Promise<DeviceQuery> {
    if (groupId === undefined) return { criteria: [criteria] };
    const group = (await this.groups.findById(groupId)) ?? (await this.groups.findByName(groupId));
    if (!group) throw new NotFoundError('group', groupId);
    if (group.selector) return { criteria: [criteria, group.selector] };
    return { criteria: [criteria], memberOfGroupId: group.id };
  }
}
