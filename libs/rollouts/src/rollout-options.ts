import type { RolloutsConfig } from '@edgefleet/config';

export const ROLLOUTS_OPTIONS = Symbol('ROLLOUTS_OPTIONS');

export type RolloutsOptions = RolloutsConfig;
