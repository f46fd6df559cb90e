import type { ApiRole } from '@edgefleet/contracts';

/** Who is making a change: recorded in the audit log. */
export interface Actor {
  id: string | null;
  name: string;
  role: ApiRole | 'system';
}

export const SYSTEM_ACTOR: Actor = { id: null, name: 'system', role: 'system' };
