import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DATABASE_PROCESS, type DatabaseProcess, PrismaService } from '@edgefleet/database';
import { HealthRegistry } from './health.registry';
import { MetricsRegistry } from './metrics.registry';

/** `db` in /health: a round trip to Postgres, and the embedded Postgres's supervisor state when there is one. */
@Injectable()
export class DatabaseHealth implements OnModuleInit {
  constructor(
    private readonly prisma: PrismaService,
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsRegistry,
    @Optional() @Inject(DATABASE_PROCESS) private readonly process?: DatabaseProcess | null,
  ) {
    if (process) registerRestartCounter(metrics, process);
  }

  onModuleInit(): void {
    const process = this.process;
    this.health.register('db', async () => {
      const embedded = process?.status();
      // While the supervisor restarts Postgres a query would only wait for the pool's connect timeout.
      if (embedded && embedded.state !== 'running') return { status: 'down', embedded };
      const started = performance.now();
      await this.prisma.$queryRaw`SELECT 1`;
      return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100, ...(embedded ? { embedded } : {}) };
    });
  }
}

function registerRestartCounter(metrics: MetricsRegistry, process: DatabaseProcess): void {
  let counted = 0;
  new Counter({
    name: 'edgefleet_embedded_postgres_restarts_total',
    help: 'Times the embedded Postgres was restarted after it died',
    registers: [metrics.registry],
    collect() {
      const restarts = process.status().restarts;
      if (restarts > counted) this.inc(restarts - counted);
      counted = restarts;
    },
  });
}
