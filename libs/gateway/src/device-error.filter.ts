import { type ArgumentsHost, Catch, Injectable, Logger, type RpcExceptionFilter } from '@nestjs/common';
import type { MqttContext } from '@nestjs/microservices';
import { EMPTY, type Observable } from 'rxjs';
import { DomainError } from '@edgefleet/common';
import { deviceErrorsTopic, deviceIdOfTopic } from '@edgefleet/contracts';
import { DeviceChannel } from './device-channel';
import { GatewayMetrics } from './gateway-metrics';

/**
 * The MQTT side's one mapping of errors (STYLE: mapped once per transport): whatever a
 * device handler throws is answered to that device on `devices/{id}/errors` as
 * `{topic, message}`. Domain errors carry their message; anything else is logged and the
 * device only learns that the server failed.
 */
/**
 * Packets whose handler failed for a reason other than a domain error (the database, say).
 * A message kind acknowledged after handling is then not acknowledged at all: the transport
 * refuses it and the broker closes the connection, so the device sends it again.
 */
export const failedPackets = new WeakSet<object>();

@Catch()
@Injectable()
export class DeviceErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('Gateway');

  constructor(
    private readonly channel: DeviceChannel,
    private readonly metrics: GatewayMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const topic = host.switchToRpc().getContext<MqttContext>().getTopic();
    const deviceId = deviceIdOfTopic(topic);
    const known = exception instanceof DomainError;
    this.metrics.messages.inc({ outcome: known ? 'refused' : 'failed' });
    if (!known) {
      this.logger.error(`handling '${topic}' failed: ${(exception as Error)?.stack ?? String(exception)}`);
      failedPackets.add(host.switchToRpc().getContext<MqttContext>().getPacket() as object);
    }
    if (deviceId) {
      const message = known ? exception.message : 'the server could not process this message';
      this.channel.publishJson(deviceErrorsTopic(deviceId), { topic, message }).catch((error: Error) =>
        this.logger.warn(`error notice to '${deviceId}' failed: ${error.message}`),
      );
    }
    return EMPTY;
  }
}
