import { type ExecutionContext, Injectable, type PipeTransform, createParamDecorator } from '@nestjs/common';
import { createValidationPipe } from '@edgefleet/api';
import { DEVICE_ID_PATTERN, TAG_KEY_PATTERN, TAG_VALUE_MAX } from '@edgefleet/contracts';
import { DEVICE_TYPE_PATTERN } from './device-criteria.dto';
import { MAX_TAGS } from '../tags.validation';
import { BatchRegisterDto, MAX_NAME_LENGTH } from './device.dto';
import { MAX_BATCH_DEVICES, type DeviceRegistration } from './device.service';

/**
 * The request body, untouched by the global ValidationPipe (which skips custom parameter
 * decorators), so that a pipe of the route's own validates it.
 */
export const RawBody = createParamDecorator((_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ body: unknown }>().body);

const REGISTRATION_FIELDS = new Set(['id', 'name', 'type', 'tags']);
/** Characters that class-validator's Length counts differently from `String.length`: such names take the full check. */
const PLAIN_NAME = /^[^\uD800-\uDFFF\uFE0E\uFE0F]+$/;

/**
 * Validates a batch registration (up to 10,000 devices). class-validator and class-transformer
 * cost ~25 µs a device, a quarter of the server's CPU per batch (bench:registry). A body in
 * the common shape, checked below field by field, is accepted as is; anything else (a
 * failure, a null, tags given as a list) goes through the global ValidationPipe against
 * BatchRegisterDto, which decides and words the error. So the rules stay those of the DTO:
 * this check may only accept less than it does, never more (device.dto.spec.ts).
 */
@Injectable()
export class BatchRegistrationPipe implements PipeTransform<unknown, Promise<{ devices: DeviceRegistration[] }>> {
  private readonly fullCheck = createValidationPipe();

  async transform(body: unknown): Promise<{ devices: DeviceRegistration[] }> {
    if (isPlainBatch(body)) return body;
    return this.fullCheck.transform(body, { type: 'body', metatype: BatchRegisterDto }) as Promise<BatchRegisterDto>;
  }
}

export function isPlainBatch(body: unknown): body is { devices: DeviceRegistration[] } {
  if (!isObject(body) || Object.keys(body).length !== 1 || !Array.isArray(body.devices)) return false;
  const devices: unknown[] = body.devices;
  return devices.length >= 1 && devices.length <= MAX_BATCH_DEVICES && devices.every(isPlainRegistration);
}

function isPlainRegistration(device: unknown): boolean {
  if (!isObject(device)) return false;
  for (const field in device) if (!REGISTRATION_FIELDS.has(field)) return false;
  const { id, name, type, tags } = device;
  return (
    (id === undefined || (typeof id === 'string' && DEVICE_ID_PATTERN.test(id))) &&
    (name === undefined || (typeof name === 'string' && name.length <= MAX_NAME_LENGTH && PLAIN_NAME.test(name))) &&
    typeof type === 'string' &&
    DEVICE_TYPE_PATTERN.test(type) &&
    (tags === undefined || isPlainTags(tags))
  );
}

function isPlainTags(tags: unknown): boolean {
  if (!isObject(tags)) return false;
  let count = 0;
  for (const key in tags) {
    const value = tags[key];
    if (++count > MAX_TAGS || !TAG_KEY_PATTERN.test(key) || typeof value !== 'string' || value.length > TAG_VALUE_MAX) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
