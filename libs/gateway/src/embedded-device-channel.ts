import { Injectable } from '@nestjs/common';
import { BrokerService } from '@edgefleet/broker';
import { DeviceChannel, type DevicePublishOptions } from './device-channel';

/** Publishes straight into the embedded aedes broker, in process. */
@Injectable()
export class EmbeddedDeviceChannel extends DeviceChannel {
  constructor(private readonly broker: BrokerService) {
    super();
  }

  publish(topic: string, payload: string | Buffer, options: DevicePublishOptions = {}): Promise<void> {
    return this.broker.publish(topic, payload, options);
  }
}
