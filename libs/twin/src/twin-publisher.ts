import { Injectable, Logger } from '@nestjs/common';
import { type DesiredStateMessage, type TwinDocument, desiredStateTopic, stateDeltaTopic } from '@edgefleet/contracts';
import { DeviceChannel } from '@edgefleet/gateway';
import { deltaPayload } from './twin-delta';
import type { TwinRecord } from './twin';
import type { CachedTwin } from './twin-state-cache';

/**
 * Server → device side of the twin (CONTRACT §3). Both topics are retained (MQTT 3.1.1
 * §3.3.1.3), so a device that was offline gets the current desired state and delta the
 * moment it subscribes; a zero-length retained message clears the delta once reported
 * has caught up.
 */
@Injectable()
export class TwinPublisher {
  private readonly logger = new Logger('TwinPublisher');
  /**
   * Highest desired version published per device by this process (0: the device has none):
   * two PATCHes finishing out of order must not leave the older one retained, and a device
   * listed here needs no republishing when it connects (DesiredStateRepublisher).
   */
  private readonly desiredVersions = new Map<string, number>();

  constructor(private readonly channel: DeviceChannel) {}

  /** Publishes the retained desired state; false when this or a newer version was published already. */
  publishDesired(deviceId: string, version: number, state: TwinDocument): boolean {
    if (version <= (this.desiredVersions.get(deviceId) ?? 0)) return false;
    this.desiredVersions.set(deviceId, version);
    const message: DesiredStateMessage = { version, state };
    this.send(desiredStateTopic(deviceId), JSON.stringify(message));
    return true;
  }

  /** Whether this process has published the device's desired state, or found it has none. */
  knowsDesired(deviceId: string): boolean {
    return this.desiredVersions.has(deviceId);
  }

  /** Forgets what was published to the device (another cluster node holds it now). */
  forget(deviceId: string): void {
    this.desiredVersions.delete(deviceId);
  }

  /** The device has no desired state: nothing to retain until it gets some. */
  noteNoDesired(deviceId: string): void {
    if (!this.desiredVersions.has(deviceId)) this.desiredVersions.set(deviceId, 0);
  }

  /**
   * The desired state and delta again, for a broker that lost its retained messages (the
   * embedded broker keeps them in memory only). Unlike refreshDelta this sends the delta
   * even when the cache believes it is retained; an empty delta is not sent, since nothing
   * is retained to clear. A cached twin's reported side is the newer one (by up to a flush).
   */
  republish(record: TwinRecord, cached: CachedTwin | undefined): void {
    const { deviceId, desiredVersion, desired } = record;
    if (!this.publishDesired(deviceId, desiredVersion, desired)) return;
    const payload = deltaPayload(desiredVersion, desired, cached?.reported ?? record.reported);
    if (cached) cached.publishedDelta = payload;
    if (payload !== '') this.send(stateDeltaTopic(deviceId), payload);
  }

  /** The delta of a twin that is not cached (its device is not reporting now). */
  publishDelta(deviceId: string, desiredVersion: number, desired: TwinDocument, reported: TwinDocument): void {
    this.send(stateDeltaTopic(deviceId), deltaPayload(desiredVersion, desired, reported));
  }

  /** After a cached twin changed: publish its delta unless that is what is retained already. */
  refreshDelta(twin: CachedTwin): void {
    if (twin.desiredVersion === 0 && twin.publishedDelta === '') return;
    const payload = deltaPayload(twin.desiredVersion, twin.desired, twin.reported);
    if (payload === twin.publishedDelta) return;
    twin.publishedDelta = payload;
    this.send(stateDeltaTopic(twin.deviceId), payload);
  }

  private send(topic: string, payload: string): void {
    this.channel.publish(topic, payload, { qos: 1, retain: true }).catch((error: Error) => this.logger.warn(`publishing '${topic}' failed: ${error.message}`));
  }
}
