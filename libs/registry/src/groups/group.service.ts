import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError, type Page, decodeCursor, toPage } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import type { DeviceCriteria } from '../devices/device-filter';
import { DeviceRepository } from '../devices/device.repository';
import type { Group } from './group';
import { GroupRepository } from './group.repository';

@Injectable()
export class GroupService {
  constructor(
    private readonly groups: GroupRepository,
    private readonly devices: DeviceRepository,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  create(actor: Actor, name: string, selector: DeviceCriteria | null): Promise<Group> {
    return this.transactor.run(async (tx) => {
      const group = await this.groups.create(name, selector, tx);
      await this.audit.record(actor, { action: 'group.create', resourceType: 'group', resourceId: group.id, after: group }, tx);
      return group;
    });
  }

  async get(id: string): Promise<Group> {
    const group = await this.groups.findById(id);
    if (!group) throw new NotFoundError('group', id);
    return group;
  }

  async list(limit: number, cursor?: string): Promise<Page<Group>> {
    return toPage(await this.groups.list(limit, decodeCursor(cursor)), limit, (group) => group.id);
  }

  /** Renames a group, or changes a dynamic group's selector (a static group has none to change). */
  async update(actor: Actor, id: string, changes: { name?: string; selector?: DeviceCriteria }): Promise<Group> {
    return this.transactor.run(async (tx) => {
      const before = await this.groups.findById(id, tx);
      if (!before) throw new NotFoundError('group', id);
      if (changes.selector && !before.selector) {
        throw new ConflictError(`group '${before.name}' is static: its members are added one by one, it has no selector`);
      }
      const after = await this.groups.update(id, changes, tx);
      await this.audit.record(actor, { action: 'group.update', resourceType: 'group', resourceId: id, before, after }, tx);
      return after;
    });
  }

  /** Members now: the static group's rows, or the devices its selector matches. */
  async memberCount(group: Group): Promise<number> {
    return group.selector ? this.devices.count({ criteria: [group.selector] }) : this.groups.countMembers(group.id);
  }

  /**
   * Adds many devices to a static group at once. Ids that are not registered are returned,
   * not fatal: the rest are added.
   */
  async addDevices(actor: Actor, groupId: string, deviceIds: readonly string[]): Promise<{ added: number; unknown: string[] }> {
    return this.transactor.run(async (tx) => {
      const group = await this.groups.findById(groupId, tx);
      if (!group) throw new NotFoundError('group', groupId);
      if (group.selector) throw new ConflictError(`group '${group.name}' is dynamic: its members come from its selector`);
      const result = await this.groups.addMembers(groupId, [...new Set(deviceIds)], tx);
      if (result.added > 0) {
        await this.audit.record(actor, { action: 'group.add-devices', resourceType: 'group', resourceId: groupId, after: { added: result.added } }, tx);
      }
      return result;
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.transactor.run(async (tx) => {
      const group = await this.groups.findById(id, tx);
      if (!group) throw new NotFoundError('group', id);
      await this.groups.delete(id, tx);
      await this.audit.record(actor, { action: 'group.delete', resourceType: 'group', resourceId: id, before: group }, tx);
    });
  }

  addDevice(actor: Actor, groupId: string, deviceId: string): Promise<void> {
    return this.changeMembership(actor, groupId, deviceId, 'add');
  }

  removeDevice(actor: Actor, groupId: string, deviceId: string): Promise<void> {
    return this.changeMembership(actor, groupId, deviceId, 'remove');
  }

  private async changeMembership(actor: Actor, groupId: string, deviceId: string, change: 'add' | 'remove'): Promise<void> {
    await this.transactor.run(async (tx) => {
      const group = await this.groups.findById(groupId, tx);
      if (!group) throw new NotFoundError('group', groupId);
      if (group.selector) throw new ConflictError(`group '${group.name}' is dynamic: its members come from its selector`);
      if (!(await this.devices.findById(deviceId, tx))) throw new NotFoundError('device', deviceId);
      const changed =
        change === 'add' ? await this.groups.addMember(groupId, deviceId, tx) : await this.groups.removeMember(groupId, deviceId, tx);
      if (changed) {
        await this.audit.record(actor, { action: `group.${change}-device`, resourceType: 'group', resourceId: groupId, after: { deviceId } }, tx);
      }
    });
  }
}
