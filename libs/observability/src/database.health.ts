import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PrismaService } from '@edgefleet/database';
import { HealthRegistry } from './health.registry';

@Injectable()
export class DatabaseHealth implements OnModuleInit {
  constructor(
    private readonly prisma: PrismaService,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register('db', async () => {
      const started = performance.now();
      await this.prisma.$queryRaw`SELECT 1`;
      return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    });
  }
}
