import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, InvalidInputError } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import type { Artifact, ArtifactDescription } from './artifact';
import { ArtifactRepository } from './artifact.repository';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from './artifacts-options';
import { ArtifactSigner } from './signing/artifact-signer';
import { ArtifactContentStore, type StagedContent } from './storage/content-store';

/**
 * Uploads in two steps, because multipart fields may come before or after the file: the
 * bytes are staged (streamed to a temporary file, hashed), then the artifact is created
 * from them, or the staged file is dropped. Either way nothing half-made remains.
 */
@Injectable()
export class ArtifactUploadService {
  constructor(
    @Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions,
    private readonly artifacts: ArtifactRepository,
    private readonly store: ArtifactContentStore,
    private readonly signer: ArtifactSigner,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  /** Streams the file to disk while hashing; 413 past the configured size limit. */
  stage(source: Readable): Promise<StagedContent> {
    return this.store.stage(source, this.options.maxUploadBytes);
  }

  discard(staged: StagedContent): Promise<void> {
    return this.store.discard(staged);
  }

  /** Signs and records the artifact and moves its bytes into place, in one transaction. */
  async create(actor: Actor, description: ArtifactDescription, staged: StagedContent): Promise<Artifact> {
    try {
      if (staged.size === 0) throw new InvalidInputError('is empty', 'file');
      return await this.transactor.run(async (tx) => {
        const { name, version } = description;
        if (await this.artifacts.findByNameVersion(name, version, tx)) {
          throw new ConflictError(`artifact '${name}' version '${version}' already exists`);
        }
        await this.artifacts.lockContent(staged.sha256, tx);
        const id = randomUUID();
        const { signature, keyId } = this.signer.sign({ id, version, sha256: staged.sha256, size: staged.size });
        const placed = await this.store.place(staged);
        try {
          const artifact = await this.artifacts.create(
            { id, ...description, size: staged.size, sha256: staged.sha256, signature, signingKeyId: keyId },
            tx,
          );
          await this.audit.record(actor, { action: 'artifact.create', resourceType: 'artifact', resourceId: id, after: artifact }, tx);
          return artifact;
        } catch (error) {
          // Still under the content lock: nobody else can have started using the file.
          if (placed) await this.store.remove(staged.sha256);
          throw error;
        }
      });
    } finally {
      await this.store.discard(staged);
    }
  }
}
