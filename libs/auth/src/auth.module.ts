import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '@edgefleet/audit';
import { ApiKeyCache } from './api-key.cache';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { MeController } from './me.controller';

@Module({
  imports: [AuditModule],
  controllers: [ApiKeyController, MeController],
  providers: [ApiKeyRepository, ApiKeyCache, ApiKeyService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeyService],
})
export class AuthModule {}
