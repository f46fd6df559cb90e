import { Injectable } from '@nestjs/common';

export type ArtifactFetchPolicy = (deviceId: string, artifactId: string) => Promise<boolean>;
export type ArtifactDeletionGuard = (artifactId: string) => Promise<string | null>;

/**
 * Where another feature (rollouts) tells artifacts who may fetch what and what may be
 * deleted, so this lib never imports that feature. With nothing registered, MQTT chunk
 * fetches are refused and deletion is allowed.
 */
@Injectable()
export class ArtifactAccess {
  private fetchPolicy?: ArtifactFetchPolicy;
  private deletionGuard?: ArtifactDeletionGuard;

  /** Whether the device has a live job for the artifact (MQTT chunk fetch allowed). */
  registerFetchPolicy(policy: ArtifactFetchPolicy): void {
    this.fetchPolicy = policy;
  }

  /** A reason string when the artifact is in use by an unfinished rollout (delete → 409). */
  registerDeletionGuard(guard: ArtifactDeletionGuard): void {
    this.deletionGuard = guard;
  }

  async mayFetch(deviceId: string, artifactId: string): Promise<boolean> {
    return this.fetchPolicy ? this.fetchPolicy(deviceId, artifactId) : false;
  }

  /** Why the artifact cannot be deleted now, or null. */
  async deletionBlocker(artifactId: string): Promise<string | null> {
    return this.deletionGuard ? this.deletionGuard(artifactId) : null;
  }
}
