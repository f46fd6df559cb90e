/**
 * Rollout and device job states (CONTRACT §4). The scheduler, the device status handler,
 * the API and the simulator all use these names.
 */
export const ROLLOUT_TYPES = ['firmware', 'config'] as const;
export type RolloutType = (typeof ROLLOUT_TYPES)[number];

/** `scheduled → running ⇄ paused → completed | aborted | cancelled`; a tripped health gate: `running → reverting → reverted`. */
export const ROLLOUT_STATES = ['scheduled', 'running', 'paused', 'completed', 'aborted', 'cancelled', 'reverting', 'reverted'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const FINAL_ROLLOUT_STATES: readonly RolloutState[] = ['completed', 'aborted', 'cancelled', 'reverted'];

export function isFinalRolloutState(state: RolloutState): boolean {
  return FINAL_ROLLOUT_STATES.includes(state);
}

/** What a device may report on `devices/{id}/jobs/{jobId}/status`, in the order a job moves through them. */
export const DEVICE_REPORTED_JOB_STATUSES = ['accepted', 'downloading', 'installing', 'rebooting', 'succeeded', 'failed', 'rejected'] as const;
export type DeviceReportedJobStatus = (typeof DEVICE_REPORTED_JOB_STATUSES)[number];

/**
 * Every state of a device's job. `queued` and `pending_offline` (its turn came while the device was
 * not connected) are before dispatch; `notified` … `rebooting` are in flight; the last five are final.
 */
export const DEVICE_JOB_STATUSES = [
  'queued',
  'pending_offline',
  'notified',
  'accepted',
  'downloading',
  'installing',
  'rebooting',
  'succeeded',
  'failed',
  'rejected',
  'timed_out',
  'cancelled',
] as const;
export type DeviceJobStatus = (typeof DEVICE_JOB_STATUSES)[number];

export const IN_FLIGHT_JOB_STATUSES = ['notified', 'accepted', 'downloading', 'installing', 'rebooting'] as const satisfies readonly DeviceJobStatus[];
export const FINAL_JOB_STATUSES = ['succeeded', 'failed', 'rejected', 'timed_out', 'cancelled'] as const satisfies readonly DeviceJobStatus[];
/** Final states that count against a rollout's failure threshold. */
export const FAILED_JOB_STATUSES = ['failed', 'rejected', 'timed_out'] as const satisfies readonly DeviceJobStatus[];

export function isFinalJobStatus(status: DeviceJobStatus): boolean {
  return (FINAL_JOB_STATUSES as readonly DeviceJobStatus[]).includes(status);
}

export function isInFlightJobStatus(status: DeviceJobStatus): boolean {
  return (IN_FLIGHT_JOB_STATUSES as readonly DeviceJobStatus[]).includes(status);
}
