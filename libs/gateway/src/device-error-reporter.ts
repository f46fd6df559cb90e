import { Injectable, Logger } from '@nestjs/common';
import { DomainError, UnavailableError } from '@edgefleet/common';
import { deviceErrorsTopic, deviceIdOfTopic } from '@edgefleet/contracts';
import { DeviceChannel } from './device-channel';
import { GatewayMetrics } from './gateway-metrics';

/**
 * Packets whose handler failed for a reason other than a domain error (the database, say,
 * or an UnavailableError).
 * A message kind acknowledged after handling is then not acknowledged at all: the transport
 * refuses it and the broker closes the connection, so the device sends it again.
 */
export const failedPackets = new WeakSet<object>();

/**
 * The MQTT side's one mapping of errors (STYLE: mapped once per transport): whatever a
 * device handler throws is answered to that device on `devices/{id}/errors` as
 * `{topic, message}`. Domain errors carry their message; anything else is logged and the
 * device only learns that the server failed. Used by Nest's exception filter and by the
 * embedded transport's direct routes alike.
 */
@Injectable()
export class DeviceErrorReporter {
  private readonly logger = new Logger('Gateway');
  private readonly refused;
  private readonly failed;
  private readonly unavailable;

  constructor(
    private readonly channel: DeviceChannel,
    metrics: GatewayMetrics,
  ) {
    this.refused = metrics.messages.labels('refused');
    this.failed = metrics.messages.labels('failed');
    this.unavailable = metrics.messages.labels('unavailable');
  }

  report(topic: string, packet: object, exception: unknown): void {
    const deviceId = deviceIdOfTopic(topic);
    const known = exception instanceof DomainError || exception instanceof UnavailableError;
    if (exception instanceof DomainError) this.refused.inc();
    else if (exception instanceof UnavailableError) {
      // Expected while the database is down or behind: no stack per message, and not acknowledged.
      this.unavailable.inc();
      failedPackets.add(packet);
    } else {
      this.failed.inc();
      this.logger.error(`handling '${topic}' failed: ${(exception as Error)?.stack ?? String(exception)}`);
      failedPackets.add(packet);
    }
    if (deviceId) {
      const message = known ? exception.message : 'the server could not process this message';
      this.channel.publishJson(deviceErrorsTopic(deviceId), { topic, message }).catch((error: Error) =>
        this.logger.warn(`error notice to '${deviceId}' failed: ${error.message}`),
      );
    }
  }
}
