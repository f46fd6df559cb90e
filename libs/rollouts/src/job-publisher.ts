import { Injectable, Logger } from '@nestjs/common';
import { ArtifactLinks } from '@edgefleet/artifacts';
import type { Actor } from '@edgefleet/common';
import { type JobDocument, type JobNotify, jobDocumentTopic, jobNotifyTopic } from '@edgefleet/contracts';
import { DeviceChannel } from '@edgefleet/gateway';
import { TwinService } from '@edgefleet/twin';
import type { JobRef, Rollout } from './rollout';
import { RolloutMetrics } from './rollout-metrics';
import { RolloutJobRepository } from './rollout-job.repository';
import { RolloutRepository } from './rollout.repository';

/** Publishes at most this many messages at once, so a 10,000-device wave does not queue 20,000 promises. */
const PUBLISH_CONCURRENCY = 500;

/**
 * Server → device side of jobs (CONTRACT §3). Job documents and the notify list are retained
 * (QoS 1): a device that subscribes after connecting still gets them (MQTT 3.1.1 §3.3.1.3).
 * A final job's document is cleared with an empty retained payload, and the notify list is
 * rewritten from the database, so it always lists exactly the device's in-flight jobs.
 */
@Injectable()
export class JobPublisher {
  private readonly logger = new Logger('RolloutJobs');
  private readonly rollouts = new Map<string, Rollout>();

  constructor(
    private readonly channel: DeviceChannel,
    private readonly links: ArtifactLinks,
    private readonly twins: TwinService,
    private readonly jobs: RolloutJobRepository,
    private readonly rolloutRepository: RolloutRepository,
    private readonly metrics: RolloutMetrics,
  ) {}

  /** Jobs just claimed for dispatch: config merged into desired state, document and notify list out. */
  async send(refs: readonly JobRef[]): Promise<void> {
    if (refs.length === 0) return;
    await forEachLimited(refs, async (ref) => {
      const rollout = await this.rollout(ref.rolloutId);
      if (!rollout) return;
      if (rollout.payload.type === 'config') await this.mergeDesired(rollout, ref);
      await this.publishDocument(rollout, ref);
    });
    this.metrics.jobsDispatched.inc(refs.length);
    await this.refreshNotify(unique(refs.map((ref) => ref.deviceId)));
  }

  /** Jobs no longer in flight (final, or waiting for a retry): document cleared, notify list rewritten. */
  async withdraw(refs: readonly JobRef[]): Promise<void> {
    if (refs.length === 0) return;
    await forEachLimited(refs, (ref) => this.publish(jobDocumentTopic(ref.deviceId, ref.jobId), ''));
    await this.refreshNotify(unique(refs.map((ref) => ref.deviceId)));
  }

  /**
   * Devices (re)connected: send their in-flight jobs again with fresh download links. The
   * broker's retained store lives in memory, so after a server restart this is what restores it.
   * Not a job dispatched after the device connected (its live session got that one), nor one
   * the device already reported `succeeded` for: it reconnects after rebooting into the new
   * image, and its version report completes the job (CONTRACT §4: nothing is sent twice to a
   * device that already reported success).
   */
  async resend(connectedAt: ReadonlyMap<string, Date>): Promise<void> {
    const live = await this.jobs.liveJobsOf([...connectedAt.keys()]);
    const stale = live.filter((job) => !job.deviceSucceeded && (job.dispatchedAt === null || job.dispatchedAt <= connectedAt.get(job.deviceId)!));
    await forEachLimited(stale, async (ref) => {
      const rollout = await this.rollout(ref.rolloutId);
      if (rollout) await this.publishDocument(rollout, ref);
    });
    await this.refreshNotify(unique(live.map((job) => job.deviceId)));
  }

  /**
   * Another cluster node dispatched or withdrew jobs of devices held here: job documents
   * dispatched after `since` (the device's connect or last refresh here) go out, documents
   * retained here for jobs no longer in flight are cleared, and the notify list is rewritten
   * from the database.
   */
  async deliverNew(since: ReadonlyMap<string, Date>): Promise<void> {
    const live = await this.jobs.liveJobsOf([...since.keys()]);
    const liveTopics = new Set(live.map((job) => jobDocumentTopic(job.deviceId, job.jobId)));
    const withdrawn = [...since.keys()].flatMap((deviceId) => {
      const notify = jobNotifyTopic(deviceId);
      const documents = jobDocumentTopic(deviceId, '');
      return this.channel.retainedTopics(deviceId).filter((topic) => topic.startsWith(documents) && topic !== notify && !topic.includes('/', documents.length) && !liveTopics.has(topic));
    });
    await forEachLimited(withdrawn, (topic) => this.publish(topic, ''));
    const fresh = live.filter((job) => !job.deviceSucceeded && job.dispatchedAt !== null && job.dispatchedAt > since.get(job.deviceId)!);
    await forEachLimited(fresh, async (ref) => {
      const rollout = await this.rollout(ref.rolloutId);
      if (rollout) await this.publishDocument(rollout, ref);
    });
    await this.refreshNotify([...since.keys()]);
  }

  async refreshNotify(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    const live = await this.jobs.liveJobsOf(deviceIds);
    const byDevice = new Map<string, JobNotify>(deviceIds.map((id) => [id, { jobs: [] }]));
    for (const job of live) byDevice.get(job.deviceId)?.jobs.push({ jobId: job.jobId, rolloutId: job.rolloutId, type: job.type });
    await forEachLimited([...byDevice], ([deviceId, notify]) => this.publish(jobNotifyTopic(deviceId), JSON.stringify(notify)));
  }

  private async publishDocument(rollout: Rollout, ref: JobRef): Promise<void> {
    await this.publish(jobDocumentTopic(ref.deviceId, ref.jobId), JSON.stringify(this.document(rollout, ref)));
  }

  /** A revert job carries its own target (the device's previous artifact or desired values), else the rollout's payload. */
  private document(rollout: Rollout, ref: JobRef): JobDocument {
    const target = ref.revertTo;
    if (target && 'config' in target) return { type: 'config', rolloutId: rollout.id, config: target.config };
    const payload = rollout.payload;
    if (!target && payload.type === 'config') return { type: 'config', rolloutId: rollout.id, config: payload.config };
    const artifact = target && 'artifact' in target ? target.artifact : payload.type === 'firmware' ? payload.artifact : undefined;
    if (!artifact) throw new Error(`job ${ref.jobId} has no artifact`);
    const { id, version, size, sha256, signature } = artifact;
    return { type: 'firmware', rolloutId: rollout.id, artifact: { id, version, size, sha256, url: this.links.deviceDownloadUrl(id, ref.deviceId, ref.jobId), signature } };
  }

  private async mergeDesired(rollout: Rollout, ref: JobRef): Promise<void> {
    if (rollout.payload.type !== 'config') return;
    const actor: Actor = { id: null, name: `rollout ${rollout.id}`, role: 'system' };
    const patch = ref.revertTo && 'config' in ref.revertTo ? ref.revertTo.config : rollout.payload.config;
    try {
      await this.twins.patchDesired(ref.deviceId, patch, actor);
    } catch (error) {
      // The job document carries the config too; the device can still apply it. The failure is logged, not fatal.
      this.logger.warn(`config rollout ${rollout.id}: desired state of '${ref.deviceId}' not updated: ${(error as Error).message}`);
    }
  }

  private async publish(topic: string, payload: string): Promise<void> {
    try {
      await this.channel.publish(topic, payload, { qos: 1, retain: true });
    } catch (error) {
      // Not fatal: the job's deadline and the resend on reconnect recover a lost message.
      this.logger.warn(`publish to ${topic} failed: ${(error as Error).message}`);
    }
  }

  /** Rollout payloads never change, so they are cached. */
  private async rollout(id: string): Promise<Rollout | null> {
    const cached = this.rollouts.get(id);
    if (cached) return cached;
    const rollout = await this.rolloutRepository.findById(id);
    if (rollout) {
      if (this.rollouts.size >= 256) this.rollouts.clear();
      this.rollouts.set(id, rollout);
    }
    return rollout;
  }
}

async function forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += PUBLISH_CONCURRENCY) {
    await Promise.all(items.slice(start, start + PUBLISH_CONCURRENCY).map(work));
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
