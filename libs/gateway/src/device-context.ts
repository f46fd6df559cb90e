import type { MqttContext } from '@nestjs/microservices';
import { type DeviceMessageSpec, deviceIdOfTopic, topicWildcards } from '@edgefleet/contracts';

/** The device a message came from; the broker's ACL guarantees a device only publishes under its own id. */
export function deviceIdOf(context: MqttContext): string {
  const id = deviceIdOfTopic(context.getTopic());
  if (!id) throw new Error(`'${context.getTopic()}' is not a device topic`);
  return id;
}

/** The values of the spec pattern's `+` levels in the message's topic, device id first. */
export function topicParams(context: MqttContext, spec: DeviceMessageSpec<unknown>): string[] {
  return topicWildcards(spec.pattern, context.getTopic());
}
