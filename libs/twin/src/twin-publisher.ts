import { Injectable, Logger } from '@nestjs/common';
import { type DesiredStateMessage, type TwinDocument, desiredStateTopic, stateDeltaTopic } from '@edgefleet/contracts';
import { DeviceChannel } from '@edgefleet/gateway';
import { deltaPayload } from './twin-delta';
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
  /** Highest desired version published per device: two PATCHes finishing out of order must not leave the older one retained. */
  private readonly desiredVersions = new Map<string, number>();

  constructor(private readonly channel: DeviceChannel) {}

  publishDesired(deviceId: string, version: number, state: TwinDocument): void {
    if (version <= (this.desiredVersions.get(deviceId) ?? 0)) return;
    this.desiredVersions.set(deviceId, version);
    const message: DesiredStateMessage = { version, state };
    this.send(desiredStateTopic(deviceId), JSON.stringify(message));
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
