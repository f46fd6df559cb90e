import { type CustomTransportStrategy, type MessageHandler, MqttContext, Server } from '@nestjs/microservices';
import { DomainError, DomainErrorCode } from '@edgefleet/common';
import { isUtf8 } from 'node:buffer';
import { type PayloadResult, accept, checkDevicePayload, compileTopicFilter, deviceIdOfTopic, reject } from '@edgefleet/contracts';
import type { BrokerService, DevicePublish } from '@edgefleet/broker';
import { type DeviceErrorReporter, failedPackets } from './device-error-reporter';
import type { DirectDeviceRoute, DirectDeviceRoutes } from './direct-device-routes';
import type { GatewayMetrics } from './gateway-metrics';

/**
 * The gateway with the embedded broker: PUBLISH packets that aedes accepted from devices
 * are handed to the `@EventPattern` handlers in process, or, for the kinds with a direct
 * route, straight to the route's function. No MQTT connection back into our own broker,
 * which would cost aedes a second routing of every message.
 */
export class EmbeddedDeviceTransport extends Server implements CustomTransportStrategy {
  private unsubscribe?: () => void;
  /** Handler patterns in registration order, compiled; topics are matched against them with MQTT wildcards. */
  private patterns: Array<{ pattern: string; matches: (topic: string) => boolean }> = [];
  /** `dispatch` and then Nest's `handleEvent` look up the same topic back to back; the second is answered from here. */
  private lastTopic?: string;
  private lastHandler: MessageHandler | null = null;
  private readonly dispatched;
  private readonly unroutedMessages;

  constructor(
    private readonly broker: BrokerService,
    metrics: GatewayMetrics,
    private readonly directRoutes: DirectDeviceRoutes,
    private readonly errors: DeviceErrorReporter,
  ) {
    super();
    this.dispatched = metrics.dispatched;
    this.unroutedMessages = metrics.messages.labels('unrouted');
  }

  listen(callback: (error?: unknown) => void): void {
    this.patterns = [...this.messageHandlers.keys()].map((pattern) => ({ pattern, matches: compileTopicFilter(pattern) }));
    this.lastTopic = undefined;
    this.unsubscribe = this.broker.onDevicePublish((message) => this.dispatch(message));
    callback();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  on(): never {
    throw new Error('the embedded device transport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.broker as T;
  }

  /** MQTT topic filters rather than exact names (Nest's base lookup is exact). */
  override getHandlerByPattern(topic: string): MessageHandler | null {
    if (topic === this.lastTopic) return this.lastHandler;
    let handler: MessageHandler | null = null;
    for (const candidate of this.patterns) {
      if (!candidate.matches(topic)) continue;
      handler = this.messageHandlers.get(candidate.pattern) ?? null;
      break;
    }
    this.lastTopic = topic;
    this.lastHandler = handler;
    return handler;
  }

  /**
   * Hands the message to its handler. For message kinds acknowledged after handling, resolves
   * once the handler has finished, which is when the broker sends the PUBACK, or rejects when
   * it failed, which closes the connection unacknowledged; for the others returns at once.
   */
  private dispatch(message: DevicePublish): Promise<void> | void {
    const { topic, payload, packet } = message;
    const route = this.directRoutes.match(topic);
    if (route) return this.dispatchDirect(route, message);
    const handler = this.getHandlerByPattern(topic);
    if (!handler) return this.unrouted();
    this.dispatched.inc();
    const parsed = parsePayload(payload);
    if (!parsed.ok) return this.errors.report(topic, packet, new DomainError(DomainErrorCode.Invalid, parsed.error));
    const data = parsed.value;
    const handled = this.handleEvent(topic, { pattern: topic, data }, new MqttContext([topic, packet])).catch((error: Error) =>
      this.logger.error(`dispatching '${topic}' failed: ${error.message}`),
    );
    if (!handler.extras?.acknowledgeAfterHandling || packet.qos === 0) return;
    return handled.then(() => {
      if (failedPackets.has(packet)) throw new Error(`handling '${topic}' failed; not acknowledged, so the device sends it again`);
    });
  }

  /** The same steps as Nest's pipeline for a device handler (payload check, handler, error answer), without its machinery. */
  private dispatchDirect(route: DirectDeviceRoute, { topic, payload, packet }: DevicePublish): Promise<void> | void {
    this.dispatched.inc();
    // QoS 0 has no acknowledgement to hold back.
    const acknowledgeAfterHandling = route.spec.acknowledgeAfterHandling === true && packet.qos > 0;
    const failed = (error: unknown): Promise<void> | void => {
      this.errors.report(topic, packet, error);
      if (acknowledgeAfterHandling && failedPackets.has(packet)) {
        return Promise.reject(new Error(`handling '${topic}' failed; not acknowledged, so the device sends it again`));
      }
    };
    let pending: Promise<void> | void;
    try {
      const parsed = parsePayload(payload);
      const checked = parsed.ok ? checkDevicePayload(route.spec, parsed.value) : parsed;
      if (!checked.ok) throw new DomainError(DomainErrorCode.Invalid, checked.error);
      // The route's pattern is a device topic, so the id is there.
      pending = route.handle(deviceIdOfTopic(topic)!, checked.value, packet.qos);
    } catch (error) {
      return failed(error);
    }
    if (!pending) return;
    const handled = pending.then(undefined, failed);
    return acknowledgeAfterHandling ? handled : void handled.catch(() => undefined);
  }

  /**
   * A topic no handler takes is still routed by the broker to whoever subscribed (the device's
   * own other clients, say), so it is counted, not refused.
   */
  private unrouted(): void {
    this.unroutedMessages.inc();
  }
}

/**
 * Same payload shape as Nest's MQTT transport: parsed JSON, or the text when it is not JSON.
 * A payload that is not UTF-8 is refused here: decoding it would silently replace its bytes
 * with U+FFFD, so the handler would see (and store) something the device never sent.
 */
function parsePayload(payload: Buffer): PayloadResult<unknown> {
  if (!isUtf8(payload)) return reject('payload is not valid UTF-8');
  const text = payload.toString('utf8');
  try {
    return accept(JSON.parse(text) as unknown);
  } catch {
    return accept(text);
  }
}
