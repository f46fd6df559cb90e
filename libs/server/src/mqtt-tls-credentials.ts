import { readFile } from 'node:fs/promises';
import type { INestApplication } from '@nestjs/common';
import type { TlsCredentials } from '@edgefleet/broker';
import type { FleetConfig } from '@edgefleet/config';
import { FleetCa } from '@edgefleet/identity';

/**
 * The MQTTS listener's certificate (CONTRACT §9): MQTT_TLS_CERT / MQTT_TLS_KEY when given,
 * else one issued at start by the fleet CA for 127.0.0.1, localhost, MQTT_HOST and the host
 * of FLEET_PUBLIC_URL, so a device that trusts the fleet CA (GET /api/v1/ca) can verify it.
 */
export async function mqttTlsCredentials(app: INestApplication, config: FleetConfig, tls: NonNullable<FleetConfig['mqtt']['tls']>): Promise<TlsCredentials> {
  if (tls.certFile && tls.keyFile) return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
  const hosts = ['127.0.0.1', 'localhost'];
  if (!['0.0.0.0', '::'].includes(config.mqtt.host)) hosts.push(config.mqtt.host);
  if (config.artifacts.publicUrl) hosts.push(new URL(config.artifacts.publicUrl).hostname.replace(/^\[|\]$/g, ''));
  const issued = await app.get(FleetCa).issueServerCertificate(hosts);
  return { cert: issued.certificatePem, key: issued.keyPem };
}
