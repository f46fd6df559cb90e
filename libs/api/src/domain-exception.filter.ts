import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, DomainErrorCode, RateLimitedError } from '@edgefleet/common';
import { PRISMA_FOREIGN_KEY_VIOLATION, PRISMA_RECORD_NOT_FOUND, PRISMA_UNIQUE_VIOLATION, prismaErrorCode } from '@edgefleet/database';

const statusByCode: Record<DomainErrorCode, HttpStatus> = {
  [DomainErrorCode.Invalid]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.Conflict]: HttpStatus.CONFLICT,
  [DomainErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [DomainErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [DomainErrorCode.PreconditionFailed]: HttpStatus.PRECONDITION_FAILED,
  [DomainErrorCode.TooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [DomainErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [DomainErrorCode.InsufficientStorage]: HttpStatus.INSUFFICIENT_STORAGE,
};

const prismaStatus: Record<string, [HttpStatus, string]> = {
  [PRISMA_UNIQUE_VIOLATION]: [HttpStatus.CONFLICT, 'a resource with that identity already exists'],
  [PRISMA_RECORD_NOT_FOUND]: [HttpStatus.NOT_FOUND, 'resource not found'],
  [PRISMA_FOREIGN_KEY_VIOLATION]: [HttpStatus.CONFLICT, 'a referenced resource does not exist'],
};

/** Maps every error to the contract's JSON shape, once, for all HTTP endpoints. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, message] = this.describe(exception);
    if (status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    // RFC 9110 §10.2.3: delay-seconds.
    if (exception instanceof RateLimitedError) void reply.header('retry-after', String(exception.retryAfterSeconds));
    void reply.status(status).send({ statusCode: status, error: statusText(status), message });
  }

  private describe(exception: unknown): [number, string] {
    if (exception instanceof DomainError) return [statusByCode[exception.code], exception.message];
    if (exception instanceof HttpException) return [exception.getStatus(), httpMessage(exception)];
    const prisma = prismaErrorCode(exception);
    if (prisma && prismaStatus[prisma]) return prismaStatus[prisma];
    const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return [fastifyStatus, (exception as Error).message];
    }
    return [HttpStatus.INTERNAL_SERVER_ERROR, 'internal error'];
  }
}

function httpMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

export function statusText(status: number): string {
  const name = HttpStatus[status];
  if (!name) return status >= 500 ? 'Internal Server Error' : 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ')
    .replace('Http Version', 'HTTP Version');
}
