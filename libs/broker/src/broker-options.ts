import type { FleetConfig } from '@edgefleet/config';

export const BROKER_OPTIONS = Symbol('BROKER_OPTIONS');

/** The broker's part of the configuration (`config.mqtt`, and the failed-authentication throttle it shares with HTTP). */
export type BrokerOptions = FleetConfig['mqtt'] & Pick<FleetConfig, 'authThrottle'>;
