import type { TwinConfig } from '@edgefleet/config';

export const TWIN_OPTIONS = Symbol('TWIN_OPTIONS');

export type TwinOptions = TwinConfig;
