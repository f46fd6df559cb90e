import type { FleetConfig } from '@edgefleet/config';

export const BROKER_OPTIONS = Symbol('BROKER_OPTIONS');

/** The broker's part of the configuration (`config.mqtt`). */
export type BrokerOptions = FleetConfig['mqtt'];
