import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError, type Page, decodeCursor, toPage } from '@edgefleet/common';
import { type DbTx, Transactor } from '@edgefleet/database';
import { ArtifactAccess } from './access/artifact-access';
import type { Artifact } from './artifact';
import { ArtifactRepository } from './artifact.repository';
import { ArtifactContentStore } from './storage/content-store';

@Injectable()
export class ArtifactService {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly store: ArtifactContentStore,
    private readonly access: ArtifactAccess,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  async get(id: string): Promise<Artifact> {
    const artifact = await this.artifacts.findById(id);
    if (!artifact) throw new NotFoundError('artifact', id);
    return artifact;
  }

  async list(limit: number, cursor?: string): Promise<Page<Artifact>> {
    return toPage(await this.artifacts.list(limit, decodeCursor(cursor)), limit, (artifact) => artifact.id);
  }

  /** Quarantines the artifact (a health-gated rollout with `quarantine` reverted it), in the caller's transaction. */
  async quarantine(actor: Actor, id: string, reason: string, tx: DbTx): Promise<void> {
    await this.artifacts.quarantine(id, reason, tx);
    await this.audit.record(actor, { action: 'artifact.quarantine', resourceType: 'artifact', resourceId: id, after: { reason } }, tx);
  }

  /** Lifts a quarantine (nothing to do when there is none); the artifact as it is now. */
  async liftQuarantine(actor: Actor, id: string): Promise<Artifact> {
    const before = await this.get(id);
    if (!before.quarantine) return before;
    await this.transactor.run(async (tx) => {
      await this.artifacts.liftQuarantine(id, tx);
      await this.audit.record(actor, { action: 'artifact.quarantine.lift', resourceType: 'artifact', resourceId: id, before: before.quarantine }, tx);
    });
    return this.get(id);
  }

  /** Refused (409) while an unfinished rollout uses the artifact; the bytes go when no other artifact shares them. */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.get(id);
    const blocker = await this.access.deletionBlocker(id);
    if (blocker) throw new ConflictError(`artifact '${id}' is in use: ${blocker}`);
    await this.transactor.run(async (tx) => {
      const artifact = await this.artifacts.findById(id, tx);
      if (!artifact) throw new NotFoundError('artifact', id);
      await this.artifacts.lockContent(artifact.sha256, tx);
      await this.artifacts.delete(id, tx);
      await this.audit.record(actor, { action: 'artifact.delete', resourceType: 'artifact', resourceId: id, before: artifact }, tx);
      if ((await this.artifacts.countWithContent(artifact.sha256, tx)) === 0) await this.store.remove(artifact.sha256);
    });
  }
}
