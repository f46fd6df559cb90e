import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Actor, DomainError, DomainErrorCode, RateLimitedError } from '@edgefleet/common';
import { type ApiRole, roleSatisfies } from '@edgefleet/contracts';
import { MIN_ROLE, PUBLIC_ROUTE } from './auth.decorators';
import { ApiKeyService } from './api-key.service';
import { AuthThrottle } from './auth-throttle';

/**
 * Every route needs a bearer token unless marked @Public(). Without @MinRole, reads
 * need `viewer` and writes `operator` (CONTRACT §2).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly throttle: AuthThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Device messages (the gateway's RPC context) were authenticated at MQTT CONNECT.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<{ method: string; ip: string; headers: Record<string, string | undefined>; actor?: Actor }>();
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new DomainError(DomainErrorCode.Unauthenticated, 'missing bearer token');
    // Before the lookup: a flood of guessed tokens from one address costs neither queries nor cache.
    const wait = this.throttle.retryAfterSeconds(request.ip);
    if (wait > 0) throw new RateLimitedError('too many requests with a bad token from this address', wait);
    const key = await this.keys.authenticate(token);
    if (!key) {
      this.throttle.failed(request.ip);
      throw new DomainError(DomainErrorCode.Unauthenticated, 'invalid or revoked token');
    }
    this.throttle.succeeded(request.ip);
    const defaultRole: ApiRole = ['GET', 'HEAD'].includes(request.method) ? 'viewer' : 'operator';
    const required = this.reflector.getAllAndOverride<ApiRole>(MIN_ROLE, targets) ?? defaultRole;
    if (!roleSatisfies(key.role, required)) {
      throw new DomainError(DomainErrorCode.Forbidden, `this needs the '${required}' role; the token has '${key.role}'`);
    }
    request.actor = { id: key.id, name: key.name, role: key.role };
    return true;
  }
}
