import type { ApiRole } from '@edgefleet/contracts';

export interface ApiKey {
  id: string;
  name: string;
  role: ApiRole;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const API_TOKEN_PREFIX = 'efk_';
