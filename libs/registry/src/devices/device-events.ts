import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface DeviceEventMap {
  /** The device's credential no longer holds (decommissioned or rotated): close its session. */
  'credentials-revoked': [deviceId: string];
  /** One certificate of the device was revoked: a session signed in with it is closed. */
  'certificate-revoked': [deviceId: string, fingerprint: string];
  /** A device session opened (CONNECT accepted): work waiting for the device can go out now. */
  connected: [deviceId: string];
  /** A device session ended (disconnect, keep-alive expiry, takeover excluded). */
  disconnected: [deviceId: string];
  /** Devices whose session this node holds got something new from another cluster node: re-read it from the database and send it. */
  refresh: [deviceIds: string[]];
  /** Another cluster node produced something for these devices, which this node does not hold: forget what was sent them here. */
  elsewhere: [deviceIds: string[]];
  /** Devices were registered or their tags changed (committed): selectors and dynamic groups may match them now. */
  changed: [deviceIds: string[]];
}

/** In-process notifications between the registry, the connectivity side and the features that react to presence. */
@Injectable()
export class DeviceEvents extends EventEmitter<DeviceEventMap> {}
