import { type DynamicModule, Module } from '@nestjs/common';
import type { FleetConfig } from '@edgefleet/config';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '@edgefleet/audit';
import { ApiKeyCache } from './api-key.cache';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { AUTH_THROTTLE_OPTIONS, AuthThrottle } from './auth-throttle';

@Module({})
export class AuthModule {
  static forRoot(throttle: FleetConfig['authThrottle']): DynamicModule {
    return {
      module: AuthModule,
      imports: [AuditModule],
      controllers: [ApiKeyController],
      providers: [
        { provide: AUTH_THROTTLE_OPTIONS, useValue: throttle },
        AuthThrottle,
        ApiKeyRepository,
        ApiKeyCache,
        ApiKeyService,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [ApiKeyService],
    };
  }
}
