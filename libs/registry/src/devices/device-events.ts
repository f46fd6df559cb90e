import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface DeviceEventMap {
  /** The device's credential no longer holds (decommissioned or rotated): close its session. */
  'credentials-revoked': [deviceId: string];
}

/** In-process notifications from the registry to the connectivity side. */
@Injectable()
export class DeviceEvents extends EventEmitter<DeviceEventMap> {}
