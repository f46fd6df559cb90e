import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ArtifactAccess } from '@edgefleet/artifacts';
import { RolloutJobRepository } from './rollout-job.repository';
import { isUuid } from '@edgefleet/common';
import { RolloutRepository } from './rollout.repository';

/** Tells the artifacts feature who may fetch an artifact over MQTT and when one may not be deleted, without it importing rollouts. */
@Injectable()
export class ArtifactAccessRegistration implements OnModuleInit {
  constructor(
    private readonly access: ArtifactAccess,
    private readonly rollouts: RolloutRepository,
    private readonly jobs: RolloutJobRepository,
  ) {}

  onModuleInit(): void {
    this.access.registerFetchPolicy((deviceId, artifactId) => (isUuid(artifactId) ? this.jobs.hasLiveJob(deviceId, artifactId) : Promise.resolve(false)));
    this.access.registerDeletionGuard(async (artifactId) => {
      if (!isUuid(artifactId)) return null;
      const names = await this.rollouts.namesUsingArtifact(artifactId);
      return names.length ? `used by unfinished rollout(s): ${names.map((name) => `'${name}'`).join(', ')}` : null;
    });
  }
}
