export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');

export interface GatewayOptions {
  /** An external MQTT broker (CONTRACT §1 `BROKER_URL`); unset: the embedded broker. */
  brokerUrl?: string;
}
