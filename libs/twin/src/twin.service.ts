import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, InvalidInputError, NotFoundError, PreconditionFailedError } from '@edgefleet/common';
import { TWIN_MAX_DEPTH, type TwinDocument, depthOf, isJsonObject } from '@edgefleet/contracts';
import { Transactor } from '@edgefleet/database';
import { jsonBytes } from './json-document';
import { applyMergePatch } from './merge-patch';
import type { Twin, TwinRecord } from './twin';
import { computeDelta } from './twin-delta';
import { TwinTooLargeError } from './twin-errors';
import { TWIN_OPTIONS, type TwinOptions } from './twin-options';
import { TwinPublisher } from './twin-publisher';
import { TwinStateCache } from './twin-state-cache';
import { TwinRepository } from './twin.repository';

export interface PatchDesiredOptions {
  /** The desiredVersion the caller last saw; a different current version fails with PreconditionFailedError. */
  ifMatch?: number;
}

/** Reading twins and changing desired state (operators through the API, and the rollout engine for config rollouts). */
@Injectable()
export class TwinService {
  constructor(
    private readonly repository: TwinRepository,
    private readonly transactor: Transactor,
    private readonly audit: AuditService,
    private readonly cache: TwinStateCache,
    private readonly publisher: TwinPublisher,
    @Inject(TWIN_OPTIONS) private readonly options: TwinOptions,
  ) {}

  /** The twin as persisted: reported state is at most one flush interval behind the device. */
  async get(deviceId: string): Promise<Twin> {
    const record = await this.repository.find(deviceId);
    if (!record) throw new NotFoundError('device', deviceId);
    return toTwin(record);
  }

  /**
   * JSON merge patch (RFC 7396) on the desired state: bumps desiredVersion, records an audit
   * entry in the same transaction, then publishes the retained desired state and delta. A
   * patch that changes nothing changes no version and is not audited.
   */
  async patchDesired(deviceId: string, patch: Record<string, unknown>, actor: Actor, options: PatchDesiredOptions = {}): Promise<Twin> {
    if (!isJsonObject(patch)) throw new InvalidInputError('must be a JSON object (a JSON merge patch)', 'body');
    if (depthOf(patch) > TWIN_MAX_DEPTH) throw new InvalidInputError(`is nested deeper than ${TWIN_MAX_DEPTH} levels`, 'body');
    const updated = await this.transactor.run(async (tx) => {
      const record = await this.repository.lockForDesired(deviceId, tx);
      if (!record) throw new NotFoundError('device', deviceId);
      if (options.ifMatch !== undefined && options.ifMatch !== record.desiredVersion) {
        throw new PreconditionFailedError(`If-Match: desired state is at version ${record.desiredVersion}, not ${options.ifMatch}`);
      }
      const desired = applyMergePatch(record.desired, patch as TwinDocument);
      if (desired === record.desired) return { record, changed: false };
      const bytes = jsonBytes(desired);
      if (bytes > this.options.maxBytes) throw new TwinTooLargeError('desired', bytes, this.options.maxBytes);
      const desiredVersion = record.desiredVersion + 1;
      await this.repository.saveDesired(deviceId, desired, desiredVersion, tx);
      await this.audit.record(
        actor,
        {
          action: 'twin.update-desired',
          resourceType: 'device',
          resourceId: deviceId,
          before: { desiredVersion: record.desiredVersion, desired: record.desired },
          after: { desiredVersion, desired, patch },
        },
        tx,
      );
      return { record: { ...record, desired, desiredVersion }, changed: true };
    });
    if (updated.changed) await this.publish(updated.record);
    return toTwin(updated.record);
  }

  private async publish(record: TwinRecord): Promise<void> {
    const cached = await this.cache.applyDesired(record.deviceId, record.desired, record.desiredVersion);
    this.publisher.publishDesired(record.deviceId, record.desiredVersion, record.desired);
    // The cache's reported state is newer than the database's by up to one flush.
    if (cached) this.publisher.refreshDelta(cached);
    else this.publisher.publishDelta(record.deviceId, record.desiredVersion, record.desired, record.reported);
  }
}

function toTwin(record: TwinRecord): Twin {
  return {
    desired: record.desired,
    reported: record.reported,
    delta: computeDelta(record.desired, record.reported),
    desiredVersion: record.desiredVersion,
    reportedVersion: record.reportedVersion,
    reportedUpdatedAt: record.reportedMeta,
  };
}
