import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { Observable } from 'rxjs';

const REPORTED_PREFIX = 'reported.';
/** Dot-separated keys of the reported document, e.g. `firmware.version`. */
export const REPORTED_PATH_PATTERN = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/;
const MAX_REPORTED_FILTERS = 10;
const MAX_VALUE_LENGTH = 256;

/**
 * The device list takes reported-state filters as `?reported.firmware.version=2.1.0`
 * (repeatable with different paths). Runs before validation and folds those parameters
 * into one `reported` object `{"firmware.version": "2.1.0"}`, the shape a dynamic group's
 * selector uses too.
 */
@Injectable()
export class ReportedFilterQueryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>();
    if (request.query) request.query = foldReportedQuery(request.query);
    return next.handle();
  }
}

export function foldReportedQuery(query: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(query).filter((key) => key.startsWith(REPORTED_PREFIX));
  if (keys.length === 0) return query;
  const folded: Record<string, unknown> = {};
  const reported: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith(REPORTED_PREFIX)) Object.defineProperty(reported, key.slice(REPORTED_PREFIX.length), { value, enumerable: true });
    else folded[key] = value;
  }
  folded.reported = reported;
  return folded;
}

export function IsReportedFilter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isReportedFilter',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_REPORTED_FILTERS &&
          Object.entries(value).every(([path, v]) => REPORTED_PATH_PATTERN.test(path) && typeof v === 'string' && v.length <= MAX_VALUE_LENGTH),
        defaultMessage: () =>
          `must be up to ${MAX_REPORTED_FILTERS} filters reported.<path>=<value> ({"<path>": "<value>"} in a selector), ` +
          `the path keys of letters, digits, _ or - joined by dots, one value of up to ${MAX_VALUE_LENGTH} characters per path`,
      },
    },
    options,
  );
}
