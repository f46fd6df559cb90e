export interface DevicePublishOptions {
  qos?: 0 | 1;
  /** Retained messages reach a device the moment it subscribes (MQTT 3.1.1 §3.3.1.3); an empty retained payload clears one. */
  retain?: boolean;
}

/**
 * Server → device messages, the same for the embedded broker and an external one. Features
 * inject this and never the broker itself.
 */
export abstract class DeviceChannel {
  abstract publish(topic: string, payload: string | Buffer, options?: DevicePublishOptions): Promise<void>;

  /** Topics retained for the device by the broker, where the broker can tell (the embedded one); else none. */
  retainedTopics(_deviceId: string): string[] {
    return [];
  }

  publishJson(topic: string, value: unknown, options?: DevicePublishOptions): Promise<void> {
    return this.publish(topic, JSON.stringify(value), options);
  }
}
