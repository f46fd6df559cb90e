import { Inject, Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, InvalidInputError } from '@edgefleet/common';
import { type ArtifactChunkRequest, artifactDataTopic, encodeArtifactChunk } from '@edgefleet/contracts';
import { DeviceChannel } from '@edgefleet/gateway';
import { ArtifactAccess } from '../access/artifact-access';
import type { Artifact } from '../artifact';
import { ArtifactMetrics } from '../artifact-metrics';
import { ArtifactService } from '../artifact.service';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { ArtifactContentStore } from '../storage/content-store';
import { DeviceSerialQueue } from './device-serial-queue';
import { ExpiringCache } from './expiring-cache';

/** Requests a device may have waiting behind the one being served. */
const MAX_WAITING_PER_DEVICE = 4;
/**
 * A download is hundreds of chunk requests; the fetch decision and the artifact row are
 * reused for a few seconds instead of being read from the database for each one. A job
 * that ends stops the fetches at most this long after.
 */
const LOOKUP_TTL_MS = 5_000;
const LOOKUP_CACHE_ENTRIES = 50_000;

/** Serves artifact chunks over MQTT to devices that cannot use HTTP (CONTRACT §3). */
@Injectable()
export class ArtifactChunkService {
  private readonly queue = new DeviceSerialQueue(MAX_WAITING_PER_DEVICE);
  private readonly allowed = new ExpiringCache<true>(LOOKUP_TTL_MS, LOOKUP_CACHE_ENTRIES);
  private readonly artifactsById = new ExpiringCache<Artifact>(LOOKUP_TTL_MS, 1_000);

  constructor(
    @Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions,
    private readonly artifacts: ArtifactService,
    private readonly access: ArtifactAccess,
    private readonly store: ArtifactContentStore,
    private readonly channel: DeviceChannel,
    private readonly metrics: ArtifactMetrics,
  ) {}

  /**
   * Publishes `devices/{id}/artifacts/{artifactId}/data`: the 8-byte offset, then up to
   * `length` bytes (capped to the configured chunk size and the end of the file).
   */
  async serve(deviceId: string, artifactId: string, request: ArtifactChunkRequest): Promise<void> {
    try {
      await this.queue.run(deviceId, async () => {
        const artifact = await this.fetchable(deviceId, artifactId);
        if (request.offset >= artifact.size) {
          throw new InvalidInputError(`${request.offset} is at or past the end of the artifact (${artifact.size} bytes)`, 'offset');
        }
        const length = Math.min(request.length, this.options.chunkMaxBytes, artifact.size - request.offset);
        const bytes = await this.store.read(artifact.sha256, request.offset, length);
        await this.channel.publish(artifactDataTopic(deviceId, artifactId), encodeArtifactChunk(request.offset, bytes), { qos: 1 });
        this.metrics.bytesSent.inc({ transport: 'mqtt' }, bytes.length);
      });
      this.metrics.chunkRequests.inc({ outcome: 'served' });
    } catch (error) {
      this.metrics.chunkRequests.inc({ outcome: 'refused' });
      throw error;
    }
  }

  /** The artifact, when the device has a job for it; refused before revealing whether it exists. */
  private async fetchable(deviceId: string, artifactId: string): Promise<Artifact> {
    const key = `${deviceId}\n${artifactId}`;
    if (!this.allowed.get(key)) {
      if (!(await this.access.mayFetch(deviceId, artifactId))) {
        throw new DomainError(DomainErrorCode.Forbidden, `no job for artifact '${artifactId}' on this device`);
      }
      this.allowed.set(key, true);
    }
    const cached = this.artifactsById.get(artifactId);
    if (cached) return cached;
    const artifact = await this.artifacts.get(artifactId);
    this.artifactsById.set(artifactId, artifact);
    return artifact;
  }
}
