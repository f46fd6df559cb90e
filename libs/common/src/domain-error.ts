/**
 * Errors that services throw. Each transport maps the code once: HTTP in the API's
 * exception filter, MQTT as CONNACK/SUBACK codes and the `devices/{id}/errors` topic.
 */
export enum DomainErrorCode {
  Invalid = 'invalid',
  NotFound = 'not_found',
  Conflict = 'conflict',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  PreconditionFailed = 'precondition_failed',
  TooLarge = 'too_large',
  RateLimited = 'rate_limited',
  /** The server has no room to store what was sent (disk full). */
  InsufficientStorage = 'insufficient_storage',
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The request field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, field?: string) {
    super(DomainErrorCode.Invalid, field ? `${field}: ${message}` : message, field);
  }
}

export class NotFoundError extends DomainError {
  constructor(resource: string, id: string) {
    super(DomainErrorCode.NotFound, `${resource} '${id}' not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super(DomainErrorCode.Conflict, message);
  }
}

export class PreconditionFailedError extends DomainError {
  constructor(message: string) {
    super(DomainErrorCode.PreconditionFailed, message);
  }
}

/** Try again later: 429, with Retry-After over HTTP. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(DomainErrorCode.RateLimited, message);
  }
}
