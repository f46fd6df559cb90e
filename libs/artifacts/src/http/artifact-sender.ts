import type { FastifyReply, FastifyRequest } from 'fastify';
import { Injectable } from '@nestjs/common';
import type { Artifact } from '../artifact';
import { ArtifactMetrics } from '../artifact-metrics';
import { planRange } from '../delivery/byte-range';
import { ArtifactContentStore } from '../storage/content-store';

/** Large reads per syscall: downloads are big sequential files. */
const READ_CHUNK_BYTES = 256 * 1024;

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
    const stream = handle.createReadStream({ start, end, highWaterMark: READ_CHUNK_BYTES });
    reply
      .status(plan.status)
      .header('content-type', 'application/octet-stream')
      .header('content-length', end - start + 1)
      .header('content-disposition', `attachment; filename="${fileName(artifact)}"`);
    if (plan.status === 206) reply.header('content-range', `bytes ${start}-${end}/${artifact.size}`);
    this.metrics.bytesSent.inc({ transport: 'http' }, end - start + 1);
    // Not awaited: the reply finishes when the stream does, or when the client goes away.
    reply.send(stream);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fileName(artifact: Artifact): string {
  return `${artifact.name}-${artifact.version}.bin`.replace(/[^A-Za-z0-9._+-]/g, '_');
}
