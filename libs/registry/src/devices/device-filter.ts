import type { DeviceStatus } from '@edgefleet/contracts';

/** The device list filters (CONTRACT §2); a dynamic group's selector has the same shape minus `group`. */
export interface DeviceCriteria {
  type?: string;
  status?: DeviceStatus;
  /** `key:value` tags the device must all have. */
  tag?: string[];
  firmware?: string;
  q?: string;
  /** Reported-state values the device's twin must have: dotted path (`firmware.version`) → value's text form. */
  reported?: Record<string, string>;
}

/** Criteria resolved for the repository: all must hold, plus static group membership. */
export interface DeviceQuery {
  criteria: DeviceCriteria[];
  memberOfGroupId?: string;
}
