import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics.registry';

/** Counts and times every HTTP request by its route template, not its raw URL (bounded label sets). */
export function instrumentHttp(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
