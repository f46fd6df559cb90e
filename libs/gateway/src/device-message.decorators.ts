import { EventPattern, Payload } from '@nestjs/microservices';
import type { DeviceMessageSpec } from '@edgefleet/contracts';
import { DevicePayloadPipe } from './device-payload.pipe';

/**
 * Marks a method as the handler of a device message kind: `@EventPattern(spec.pattern)`,
 * typed so the handler may take the spec's payload type, carrying the spec's acknowledgement
 * rule to the transport.
 */
export function OnDeviceMessage(spec: DeviceMessageSpec<unknown>): MethodDecorator {
  return EventPattern<string>(spec.pattern, { acknowledgeAfterHandling: spec.acknowledgeAfterHandling === true });
}

/** The message payload, checked against the spec first (a refused one is answered on `devices/{id}/errors`). */
export function DevicePayload<T>(spec: DeviceMessageSpec<T>): ParameterDecorator {
  return Payload(new DevicePayloadPipe(spec));
}
