import { Injectable } from '@nestjs/common';
import { BrokerService } from '@edgefleet/broker';
import { ClusterSignals } from '@edgefleet/cluster';
import { deviceIdOfTopic } from '@edgefleet/contracts';
import { DeviceChannel, type DevicePublishOptions } from './device-channel';

/**
 * Publishes straight into the embedded aedes broker, in process. A message for a device whose
 * session this node does not hold also wakes the other cluster nodes: the one holding it re-reads
 * from the database what the device should get and sends it (ClusterSignals).
 */
@Injectable()
export class EmbeddedDeviceChannel extends DeviceChannel {
  constructor(
    private readonly broker: BrokerService,
    private readonly signals: ClusterSignals,
  ) {
    super();
  }

  publish(topic: string, payload: string | Buffer, options: DevicePublishOptions = {}): Promise<void> {
    const deviceId = deviceIdOfTopic(topic);
    if (deviceId && !this.broker.holds(deviceId)) this.signals.send('wake', deviceId);
    return this.broker.publish(topic, payload, options);
  }

  override retainedTopics(deviceId: string): string[] {
    return this.broker.retainedTopics(deviceId);
  }
}
