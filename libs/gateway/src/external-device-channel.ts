import { Injectable } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import { DeviceChannel, type DevicePublishOptions } from './device-channel';

/** Publishes through the gateway's own connection to the external broker (`BROKER_URL`). */
@Injectable()
export class ExternalDeviceChannel extends DeviceChannel {
  private client?: MqttClient;

  /** Set by the external transport once it has connected. */
  attach(client: MqttClient): void {
    this.client = client;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async publish(topic: string, payload: string | Buffer, options: DevicePublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('the gateway is not connected to the external broker');
    await client.publishAsync(topic, payload, { qos: options.qos ?? 0, retain: options.retain ?? false });
  }
}
