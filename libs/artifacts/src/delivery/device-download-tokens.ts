import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainError, DomainErrorCode, readOrCreateSecretFile } from '@edgefleet/common';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { type DownloadGrant, signDownloadToken, verifyDownloadToken } from './download-token';

export const DOWNLOAD_URL_SECRET_FILE = 'download-url.secret';

/** Issues and checks device download tokens with a server secret kept in `$FLEET_DATA_DIR/keys` (0600). */
@Injectable()
export class DeviceDownloadTokens implements OnModuleInit {
  private secret?: Buffer;

  constructor(@Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions) {}

  async onModuleInit(): Promise<void> {
    this.secret = await readOrCreateSecretFile(join(this.options.dataDir, 'keys', DOWNLOAD_URL_SECRET_FILE), () => randomBytes(32));
  }

  issue(artifactId: string, deviceId: string, jobId: string, nowMs = Date.now()): string {
    const expiresAt = Math.floor(nowMs / 1000) + this.options.downloadUrlTtlSeconds;
    return signDownloadToken({ artifactId, deviceId, jobId, expiresAt }, this.loaded());
  }

  /** The grant, when the token is genuine, unexpired and for this artifact; otherwise 403. */
  verify(token: string | undefined, artifactId: string, nowMs = Date.now()): DownloadGrant {
    if (!token) throw new DomainError(DomainErrorCode.Forbidden, 'token: a download token is required');
    const check = verifyDownloadToken(token, this.loaded(), Math.floor(nowMs / 1000));
    if (!check.ok) throw new DomainError(DomainErrorCode.Forbidden, check.reason);
    if (check.grant.artifactId !== artifactId) throw new DomainError(DomainErrorCode.Forbidden, 'the download token is for another artifact');
    return check.grant;
  }

  private loaded(): Buffer {
    if (!this.secret) throw new Error('the download URL secret is not loaded yet');
    return this.secret;
  }
}
