import { type PipeTransform } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '@edgefleet/common';
import { type DeviceMessageSpec, checkDevicePayload } from '@edgefleet/contracts';

/**
 * Runs a message spec's payload check (after the storable-JSON check) before the handler; a refused payload never reaches
 * it, and the gateway's filter answers the device on `devices/{id}/errors`.
 */
export class DevicePayloadPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly spec: DeviceMessageSpec<T>) {}

  transform(value: unknown): T {
    const result = checkDevicePayload(this.spec, value);
    if (!result.ok) throw new DomainError(DomainErrorCode.Invalid, result.error);
    return result.value;
  }
}
