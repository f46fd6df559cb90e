import { type Command, Option } from 'commander';
import type { components } from '@edgefleet/api-client';
import { parseTag } from '@edgefleet/contracts';
import { CliError } from '../cli-error';
import { collect } from './option-parsers';

type DeviceCriteria = components['schemas']['DeviceCriteriaDto'];

export interface DeviceFilterOptions {
  type?: string;
  status?: 'online' | 'offline';
  tag?: string[];
  firmware?: string;
  query?: string;
  reported?: string[];
}


/** The device list's filters (the same as a group's selector), as options. */
export function addDeviceFilterOptions<T extends Command>(command: T): T {
  return command
    .option('--type <type>', 'device type, exact')
    .addOption(new Option('--status <status>', 'connection status').choices(['online', 'offline']))
    .option('--tag <key:value>', 'tag the device must have; repeat for several (all must match)', collect)
    .option('--firmware <version>', 'firmware version the device reports, exact')
    .option('-q, --query <text>', 'case-insensitive search in id and name')
    .option('--reported <path=value>', 'reported-state value, e.g. health.app=ok; repeatable', collect);
}

/** The filters as the API's criteria; a malformed tag or reported filter is a usage error here, not a 400. */
export function deviceCriteria(options: DeviceFilterOptions): DeviceCriteria {
  for (const tag of options.tag ?? []) if (!parseTag(tag)) throw CliError.usage(`--tag: '${tag}' is not key:value`);
  const reported: Record<string, string> = {};
  for (const entry of options.reported ?? []) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw CliError.usage(`--reported: '${entry}' is not path=value`);
    reported[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  const criteria: DeviceCriteria = {};
  if (options.type) criteria.type = options.type;
  if (options.status) criteria.status = options.status;
  if (options.tag?.length) criteria.tag = options.tag;
  if (options.firmware) criteria.firmware = options.firmware;
  if (options.query) criteria.q = options.query;
  if (Object.keys(reported).length) criteria.reported = reported;
  return criteria;
}

/** The device list's query string: `tag` repeated, reported state as `reported.<path>=<value>`. */
export function deviceListQuery(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (key === 'reported') for (const [path, wanted] of Object.entries(value as Record<string, string>)) params.append(`reported.${path}`, wanted);
    else if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  return params.toString();
}
