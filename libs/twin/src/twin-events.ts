import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface TwinEventMap {
  /** Emitted after reported state with a changed `firmware.version` has been persisted. */
  'firmware-reported': [deviceId: string, version: string];
}

/** In-process notifications from the twin to features that react to what devices report (rollouts). */
@Injectable()
export class TwinEvents extends EventEmitter<TwinEventMap> {}
