import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type CustomTransportStrategy, type MessageHandler, ServerMqtt } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';
import { deviceIdOfTopic, presenceSpec, topicMatches } from '@edgefleet/contracts';
import { DeviceMessageDeserializer } from './device-message.deserializer';
import type { ExternalDeviceChannel } from './external-device-channel';

/** Shared subscription group: with several server processes on one broker, each message goes to one of them. */
export const SHARED_SUBSCRIPTION_PREFIX = '$share/edgefleet/';

/**
 * The gateway with an external broker (`BROKER_URL`): Nest's own MQTT transport, subscribed
 * to every handler pattern through the `$share/edgefleet/` group, with a deserializer that
 * leaves device payloads alone (see DeviceMessageDeserializer). Its connection is also the
 * server's way to publish to devices.
 */
export class ExternalDeviceTransport extends ServerMqtt implements CustomTransportStrategy {
  constructor(
    brokerUrl: string,
    private readonly channel: ExternalDeviceChannel,
    /** Every device message is a sign of life (ExternalPresence); presence reports go to their handler instead. */
    private readonly onDeviceMessage: (deviceId: string) => void = () => undefined,
  ) {
    super({
      url: brokerUrl,
      clientId: `edgefleet-gateway-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
      maxConnectionAttempts: 3,
      subscribeOptions: { qos: 1 },
      deserializer: new DeviceMessageDeserializer(),
    });
  }

  /** Handlers are declared with plain device patterns; here they subscribe as a shared group. Nest strips the prefix when matching. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    const name = typeof pattern === 'string' && !pattern.startsWith('$share/') ? `${SHARED_SUBSCRIPTION_PREFIX}${pattern}` : pattern;
    super.addHandler(name, callback, isEventHandler, extras);
  }

  override async handleMessage(channel: string, buffer: Buffer, pub: MqttClient, originalPacket?: Record<string, any>): Promise<any> {
    const deviceId = deviceIdOfTopic(channel);
    if (deviceId && !topicMatches(presenceSpec.pattern, channel)) this.onDeviceMessage(deviceId);
    return super.handleMessage(channel, buffer, pub, originalPacket);
  }

  override start(callback: (error?: unknown) => void): void {
    super.start(callback);
    this.channel.attach(this.mqttClient as MqttClient);
  }
}
