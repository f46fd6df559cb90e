import type { DownloadedArtifact } from './artifact-sink';
import type { FirmwareJobDocument, JobDocument } from '@edgefleet/contracts';
import type { JsonObject } from './json-state';

/** Desired state as handed to `onDesired`. */
export interface DesiredChange {
  /** Desired version the change comes from. */
  version: number;
  /** The full desired state. */
  state: JsonObject;
  /** Desired keys that differ from what this device has reported. */
  delta: JsonObject;
}

/** A verified firmware image, ready to install. */
export interface FirmwareImage extends DownloadedArtifact {
  jobId: string;
  artifact: Omit<FirmwareJobDocument['artifact'], 'url'>;
}

/** What the device itself does; the SDK does the protocol around these. */
export interface DeviceHandlers {
  /**
   * Desired state changed. Return the reported-state patch that results (it is published on
   * `state/reported`); return nothing to report the delta as applied; throw to report nothing.
   */
  onDesired?(change: DesiredChange): JsonObject | void | Promise<JsonObject | void>;
  /** Decides whether to take a job: return a reason to reject it (`rejected`), or nothing to accept. */
  acceptJob?(jobId: string, job: JobDocument): string | void | Promise<string | void>;
  /**
   * Writes a verified image (SHA-256 and Ed25519 signature already checked). Throw to fail the
   * job; the message becomes the reported reason. Without this hook, firmware jobs are rejected.
   */
  install?(image: FirmwareImage, signal: AbortSignal): Promise<void>;
  /**
   * Restarts into the installed image. A real device reboots here and never returns; when it
   * starts again with `firmwareVersion` set to the new version, the retained job document
   * arrives again and the SDK reports `succeeded`. If the hook returns (a simulator), the SDK
   * reconnects as the new version itself. Default: reconnect at once.
   */
  reboot?(image: FirmwareImage): Promise<void>;
  /**
   * The reported-state patch the device sends once it is back in the new image, together with
   * its `firmware.version` (health keys such as `{health: {app: "ok"}}`, read by a rollout's
   * health gate during its bake). The SDK adds `health.boots` itself (see `DeviceClient.boots`).
   */
  afterReboot?(image: FirmwareImage): JsonObject | void;
  /** Applies a config job. Return the reported-state patch; nothing reports the config itself. Throw to fail. */
  applyConfig?(config: JsonObject, jobId: string, signal: AbortSignal): JsonObject | void | Promise<JsonObject | void>;
}
