import type { DeviceCriteria } from '../devices/device-filter';

export interface Group {
  id: string;
  name: string;
  /** null: a static group with explicit members; otherwise the devices matching it. */
  selector: DeviceCriteria | null;
  createdAt: Date;
}
