import type { Tags } from '@edgefleet/contracts';

export interface ProvisioningClaim {
  id: string;
  type: string;
  tags: Tags;
  maxUses: number;
  used: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface NewClaim {
  type: string;
  tags?: Tags;
  maxUses: number;
  expiresAt: Date;
}
