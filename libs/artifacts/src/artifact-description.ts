import { InvalidInputError } from '@edgefleet/common';
import type { ArtifactDescription } from './artifact';

/** semver.org 2.0.0, the suggested regular expression. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** The same rule as a device's `type`, so an artifact names types devices can have. */
const DEVICE_TYPE = /^[A-Za-z0-9._-]{1,64}$/;
const NAME = /^[^\u0000-\u001f\u007f]{1,200}$/;
const MAX_DEVICE_TYPES = 100;

export function isSemver(version: string): boolean {
  return version.length <= 128 && SEMVER.test(version);
}

/**
 * Checks the text fields of an upload. Multipart fields arrive as lists of strings (a field
 * may repeat); `deviceTypes` may also be one comma-separated value.
 */
export function parseArtifactDescription(fields: Record<string, string[]>): ArtifactDescription {
  const unknown = Object.keys(fields).find((field) => !['name', 'version', 'deviceTypes'].includes(field));
  if (unknown) throw new InvalidInputError('unknown field', unknown);
  const name = single(fields, 'name').trim();
  if (!NAME.test(name)) throw new InvalidInputError('must be 1-200 characters without control characters', 'name');
  const version = single(fields, 'version').trim();
  if (!isSemver(version)) throw new InvalidInputError(`'${version.slice(0, 64)}' is not a semantic version (e.g. 2.1.0)`, 'version');
  const deviceTypes = [...new Set((fields.deviceTypes ?? []).flatMap((value) => value.split(',')).map((type) => type.trim()).filter(Boolean))];
  if (deviceTypes.length === 0) throw new InvalidInputError('at least one device type is required', 'deviceTypes');
  if (deviceTypes.length > MAX_DEVICE_TYPES) throw new InvalidInputError(`at most ${MAX_DEVICE_TYPES} device types`, 'deviceTypes');
  const bad = deviceTypes.find((type) => !DEVICE_TYPE.test(type));
  if (bad !== undefined) throw new InvalidInputError(`'${bad.slice(0, 64)}' must be 1-64 letters, digits, . _ or -`, 'deviceTypes');
  return { name, version, deviceTypes };
}

function single(fields: Record<string, string[]>, field: string): string {
  const values = fields[field] ?? [];
  if (values.length === 0) throw new InvalidInputError('is required', field);
  if (values.length > 1) throw new InvalidInputError('must be given once', field);
  return values[0];
}
