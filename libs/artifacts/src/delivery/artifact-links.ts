import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { DeviceDownloadTokens } from './device-download-tokens';

/** Builds the short-lived per-device, per-job download URL of a firmware job document (CONTRACT §3). */
@Injectable()
export class ArtifactLinks {
  constructor(
    @Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions,
    private readonly tokens: DeviceDownloadTokens,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  deviceDownloadUrl(artifactId: string, deviceId: string, jobId: string): string {
    const token = this.tokens.issue(artifactId, deviceId, jobId);
    return `${this.origin()}/api/v1/artifacts/${encodeURIComponent(artifactId)}/device-download?token=${token}`;
  }

  /** `FLEET_PUBLIC_URL`, else the address the HTTP server is bound to (known once it listens), else the configured one. */
  private origin(): string {
    if (this.options.publicUrl) return this.options.publicUrl;
    try {
      const origin: unknown = this.adapterHost.httpAdapter?.getInstance()?.listeningOrigin;
      if (typeof origin === 'string' && origin.startsWith('http')) return origin;
    } catch {
      // Fastify throws while not listening (in-process tests); fall through to the configured address.
    }
    const host = this.options.httpHost.includes(':') ? `[${this.options.httpHost}]` : this.options.httpHost;
    return `http://${host}:${this.options.httpPort}`;
  }
}
