import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/**
 * Every device message is an event for the handler of its topic, with the payload as the
 * device sent it. Nest's default MQTT deserializer instead treats a payload with a
 * top-level `pattern`/`data`/`id` key as its own envelope (unwrapping `data`, and
 * answering on `<topic>/reply` when there is an `id`), which would let a device's own
 * JSON change how it is routed.
 */
export class DeviceMessageDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: { channel?: string }): IncomingEvent {
    return { pattern: options?.channel ?? '', data: value };
  }
}
