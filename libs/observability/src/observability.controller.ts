import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@edgefleet/auth';
import { HealthRegistry } from './health.registry';
import { MetricsRegistry } from './metrics.registry';

@ApiTags('operations')
@Public()
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsRegistry,
  ) {}

  @Get('health')
  @ApiOperation({
    summary: 'Overall status and each component (db, broker, disk); 503 when degraded',
    description: '`node` is this server\'s cluster node id (FLEET_NODE_ID) and `peers` the other live nodes sharing its database. `warnings` (present when not empty) lists what needs attention without being an outage, such as free disk space under FLEET_DISK_MIN_FREE_MB.',
  })
  async getHealth(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, unknown>> {
    const report = await this.health.report();
    if (report.status !== 'ok') reply.status(503);
    return { status: report.status, ...this.health.facts(), ...(report.warnings.length ? { warnings: report.warnings } : {}), ...report.components };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics' })
  async getMetrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
