import { type DeviceMessageSpec, type PayloadResult, accept, isJsonObject, reject } from './device-payload';
import { DEVICE_REPORTED_JOB_STATUSES, type DeviceReportedJobStatus, type RolloutType } from './job-states';
import { deviceTopicPrefix } from './topics';

/** Device → server: `devices/{id}/jobs/{jobId}/status` (CONTRACT §3). */
export interface JobStatusReport {
  status: DeviceReportedJobStatus;
  /** 0-100, informational. */
  progress?: number;
  /** Why a job failed or was rejected; shown to operators as the job's last error. */
  reason?: string;
}

export const JOB_REASON_MAX = 500;

export const jobStatusSpec: DeviceMessageSpec<JobStatusReport> = {
  pattern: 'devices/+/jobs/+/status',
  check: checkJobStatusReport,
  acknowledgeAfterHandling: true,
};

export function checkJobStatusReport(value: unknown): PayloadResult<JobStatusReport> {
  if (!isJsonObject(value)) return reject('payload must be a JSON object {status, progress?, reason?}');
  const { status, progress, reason, ...rest } = value;
  const unknown = Object.keys(rest);
  if (unknown.length) return reject(`unknown field '${unknown[0]}'`);
  if (typeof status !== 'string' || !(DEVICE_REPORTED_JOB_STATUSES as readonly string[]).includes(status)) {
    return reject(`status must be one of ${DEVICE_REPORTED_JOB_STATUSES.join(', ')}`);
  }
  if (progress !== undefined && (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 100)) {
    return reject('progress must be a number from 0 to 100');
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > JOB_REASON_MAX)) {
    return reject(`reason must be a string of at most ${JOB_REASON_MAX} characters`);
  }
  return accept({
    status: status as DeviceReportedJobStatus,
    ...(progress === undefined ? {} : { progress: Math.round(progress) }),
    ...(reason === undefined ? {} : { reason }),
  });
}

/** Server → device: the job document, retained until the job is final (then cleared with an empty payload). */
export function jobDocumentTopic(deviceId: string, jobId: string): string {
  return `${deviceTopicPrefix(deviceId)}jobs/${jobId}`;
}

/** Server → device: the device's pending jobs, retained. */
export function jobNotifyTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}jobs/notify`;
}

export function jobStatusTopic(deviceId: string, jobId: string): string {
  return `${deviceTopicPrefix(deviceId)}jobs/${jobId}/status`;
}

export interface FirmwareJobDocument {
  type: 'firmware';
  rolloutId: string;
  artifact: {
    id: string;
    version: string;
    size: number;
    sha256: string;
    /** Short-lived HTTP URL the device can fetch (with `Range`) without other credentials. */
    url: string;
    /** base64 Ed25519 over `edgefleet-artifact-v1\n{id}\n{version}\n{sha256}\n{size}`. */
    signature: string;
  };
}

export interface ConfigJobDocument {
  type: 'config';
  rolloutId: string;
  config: Record<string, unknown>;
}

export type JobDocument = FirmwareJobDocument | ConfigJobDocument;

export interface JobNotice {
  jobId: string;
  rolloutId: string;
  type: RolloutType;
}

/** `devices/{id}/jobs/notify` payload: every job the device should be working on now. */
export interface JobNotify {
  jobs: JobNotice[];
}
