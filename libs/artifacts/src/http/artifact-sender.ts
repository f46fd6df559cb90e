import type { FastifyReply, FastifyRequest } from 'fastify';
import { Injectable } from '@nestjs/common';
import type { Artifact } from '../artifact';
import { ArtifactMetrics } from '../artifact-metrics';
import { planRange } from '../delivery/byte-range';
import { ArtifactContentStore } from '../storage/content-store';
import { writeFileRange } from './file-range-writer';

/**
 * Streams an artifact from disk with the headers that let an interrupted download resume:
 * a strong ETag (the SHA-256), `Accept-Ranges`, 206 for one byte range, and `If-Range`.
 */
@Injectable()
export class ArtifactSender {
  constructor(
    private readonly store: ArtifactContentStore,
    private readonly metrics: ArtifactMetrics,
  ) {}

  async send(request: FastifyRequest, reply: FastifyReply, artifact: Artifact): Promise<void> {
    const etag = `"${artifact.sha256}"`;
    reply.header('etag', etag).header('accept-ranges', 'bytes');
    if (request.headers['if-none-match'] === etag) {
      reply.status(304).send();
      return;
    }
    const plan = planRange(artifact.size, etag, header(request, 'range'), header(request, 'if-range'));
    if (plan.status === 416) {
      reply
        .status(416)
        .header('content-range', `bytes */${artifact.size}`)
        .send({ statusCode: 416, error: 'Range Not Satisfiable', message: `range: outside the ${artifact.size} bytes of this artifact` });
      return;
    }
    const start = plan.status === 206 ? plan.start : 0;
    const end = plan.status === 206 ? plan.end : artifact.size - 1;
    const handle = await this.store.open(artifact.sha256);
    const headers: Record<string, string | number> = {
      ...(reply.getHeaders() as Record<string, string | number>),
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'content-disposition': `attachment; filename="${fileName(artifact)}"`,
    };
    if (plan.status === 206) headers['content-range'] = `bytes ${start}-${end}/${artifact.size}`;
    this.metrics.bytesSent.inc({ transport: 'http' }, end - start + 1);
    // The body is written by hand (see writeFileRange); Fastify's onResponse hooks still run.
    reply.hijack();
    reply.raw.writeHead(plan.status, headers);
    if (request.method === 'HEAD') {
      reply.raw.end();
      await handle.close();
      return;
    }
    writeFileRange(handle, reply.raw, start, end).catch(() => reply.raw.destroy());
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fileName(artifact: Artifact): string {
  return `${artifact.name}-${artifact.version}.bin`.replace(/[^A-Za-z0-9._+-]/g, '_');
}
