import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, InvalidInputError, NotFoundError, decodeCursor, encodeCursor } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import type { Tags } from '@edgefleet/contracts';
import type { AuthMethod, Device, DeviceChanges, DeviceCredentials, NewDevice } from './device';
import { issueDeviceCredentials, issueManyDeviceCredentials } from './device-credentials';
import { DeviceEvents } from './device-events';
import type { DeviceCriteria } from './device-filter';
import { DeviceStatistics } from './device-statistics';
import { DeviceRepository } from './device.repository';
import { DeviceQueryResolver } from '../device-query.resolver';

export const MAX_BATCH_DEVICES = 10_000;

export interface DeviceRegistration {
  id?: string;
  name?: string;
  type: string;
  tags?: Tags;
}

export type RegisteredDevice = Device & { credentials: DeviceCredentials };

@Injectable()
export class DeviceService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly queries: DeviceQueryResolver,
    private readonly events: DeviceEvents,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
    private readonly statistics: DeviceStatistics,
  ) {}

  async register(actor: Actor, registration: DeviceRegistration): Promise<RegisteredDevice> {
    const [device] = await this.registerMany(actor, [registration]);
    return device;
  }

  /** All or nothing: one transaction, and duplicate or taken ids fail the whole batch before writing. */
  async registerMany(actor: Actor, registrations: DeviceRegistration[]): Promise<RegisteredDevice[]> {
    if (registrations.length === 0) throw new InvalidInputError('must hold at least one device', 'devices');
    if (registrations.length > MAX_BATCH_DEVICES) {
      throw new InvalidInputError(`at most ${MAX_BATCH_DEVICES} devices per call, got ${registrations.length}`, 'devices');
    }
    const ids = registrations.map((registration) => registration.id ?? randomUUID());
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw new InvalidInputError(`id '${id}' appears more than once`, 'devices');
      seen.add(id);
    }
    const issued = issueManyDeviceCredentials(ids);
    const rows: NewDevice[] = registrations.map((registration, i) => ({
      id: ids[i],
      name: registration.name ?? null,
      type: registration.type,
      tags: registration.tags ?? {},
      credentialHash: issued[i].hash,
    }));
    await this.assertIdsFree(ids);
    const created = await this.transactor.run(async (tx) => {
      const devices = await this.devices.createMany(rows, tx);
      await this.audit.record(
        actor,
        devices.map((device) => ({ action: 'device.create', resourceType: 'device', resourceId: device.id, after: device })),
        tx,
      );
      return devices;
    });
    this.statistics.inserted(created.length);
    this.events.emit('changed', created.map((device) => device.id));
    return created.map((device, i) => ({ ...device, credentials: issued[i].credentials }));
  }

  async get(id: string): Promise<Device> {
    const device = await this.devices.findById(id);
    if (!device) throw new NotFoundError('device', id);
    return device;
  }

  /** A page of the device list as JSON text (`{items, nextCursor}`), serialised by the database. */
  async listJson(filter: DeviceCriteria & { group?: string }, limit: number, cursor?: string): Promise<string> {
    const after = decodeCursor(cursor);
    const query = await this.queries.resolve(filter, filter.group);
    const page = await this.devices.listJson(query, limit, after);
    const nextCursor = page.hasMore && page.lastId !== null ? encodeCursor(page.lastId) : null;
    return `{"items":${page.itemsJson},"nextCursor":${JSON.stringify(nextCursor)}}`;
  }

  /** The true total of devices matching a list filter. */
  async count(filter: DeviceCriteria & { group?: string }): Promise<number> {
    return this.devices.count(await this.queries.resolve(filter, filter.group));
  }

  async update(actor: Actor, id: string, changes: DeviceChanges): Promise<Device> {
    const device = await this.transactor.run(async (tx) => {
      const before = await this.devices.findById(id, tx);
      if (!before) throw new NotFoundError('device', id);
      const after = await this.devices.update(id, changes, tx);
      await this.audit.record(actor, { action: 'device.update', resourceType: 'device', resourceId: id, before, after }, tx);
      return after;
    });
    if (changes.tags !== undefined) this.events.emit('changed', [id]);
    return device;
  }

  /** Removes the device and its credential; a live session is closed at once. */
  async decommission(actor: Actor, id: string): Promise<void> {
    await this.transactor.run(async (tx) => {
      const before = await this.devices.findById(id, tx);
      if (!before) throw new NotFoundError('device', id);
      await this.devices.delete(id, tx);
      await this.audit.record(actor, { action: 'device.decommission', resourceType: 'device', resourceId: id, before }, tx);
    });
    this.events.emit('credentials-revoked', id);
  }

  /** A new password; the old one stops working and a live session using it is closed. */
  async rotateCredentials(actor: Actor, id: string): Promise<DeviceCredentials> {
    const issued = issueDeviceCredentials(id);
    await this.transactor.run(async (tx) => {
      if (!(await this.devices.findById(id, tx))) throw new NotFoundError('device', id);
      await this.devices.setCredentialHash(id, issued.hash, tx);
      await this.audit.record(actor, { action: 'device.rotate-credentials', resourceType: 'device', resourceId: id }, tx);
    });
    this.events.emit('credentials-revoked', id);
    return issued.credentials;
  }

  /**
   * Which ways the device may sign in from now on. Taking one away closes its live session
   * (it reconnects with what is left), since that session may have used it.
   */
  async setAuthMethods(actor: Actor, id: string, methods: AuthMethod[]): Promise<AuthMethod[]> {
    const wanted = [...new Set(methods)].sort();
    if (wanted.length === 0) throw new InvalidInputError('must allow at least one method', 'methods');
    const before = await this.transactor.run(async (tx) => {
      const current = await this.devices.findAuthMethods(id, tx);
      if (!current) throw new NotFoundError('device', id);
      await this.devices.setAuthMethods(id, wanted, tx);
      await this.audit.record(actor, { action: 'device.auth-methods', resourceType: 'device', resourceId: id, before: current, after: wanted }, tx);
      return current;
    });
    if (before.some((method) => !wanted.includes(method))) this.events.emit('credentials-revoked', id);
    return wanted;
  }

  async authMethods(id: string): Promise<AuthMethod[]> {
    const methods = await this.devices.findAuthMethods(id);
    if (!methods) throw new NotFoundError('device', id);
    return methods;
  }

  private async assertIdsFree(ids: string[]): Promise<void> {
    const taken = await this.devices.existingIds(ids);
    if (taken.length === 0) return;
    const shown = taken.slice(0, 10).join(', ') + (taken.length > 10 ? `, and ${taken.length - 10} more` : '');
    throw new ConflictError(`device id already registered: ${shown}`);
  }
}
