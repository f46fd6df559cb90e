import type { DesiredStateMessage, StateDeltaMessage } from '@edgefleet/contracts';
import type { DesiredChange } from './device-handlers';
import { type JsonObject, desiredDelta } from './json-state';

type DesiredHandler = (change: DesiredChange) => JsonObject | void | Promise<JsonObject | void>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Hands each desired version to the device's handler once, in order, and reports what it
 * returns. The retained desired document and the delta both arrive after every connect
 * (and the server re-sends the delta whenever reported state moves), so the version is
 * what decides whether there is anything new to do — not the arrival of a message.
 */
export class DesiredTracker {
  private handledVersion = -1;
  private desiredState: JsonObject = {};
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly reported: () => JsonObject,
    private readonly handler: DesiredHandler | undefined,
    private readonly report: (patch: JsonObject) => void,
  ) {}

  /** `state/desired`: `{version, state}`; the delta is worked out against what this device reported. */
  onDesired(message: DesiredStateMessage | null): void {
    if (!message || !Number.isSafeInteger(message.version) || !isObject(message.state)) return;
    this.desiredState = message.state;
    this.handle(message.version, desiredDelta(message.state, this.reported()));
  }

  /** `state/delta`: `{version, delta}` as the server computed it. */
  onDelta(message: StateDeltaMessage | null): void {
    if (!message || !Number.isSafeInteger(message.version) || !isObject(message.delta)) return;
    this.handle(message.version, message.delta);
  }

  private handle(version: number, delta: JsonObject): void {
    if (!this.handler || version <= this.handledVersion) return;
    this.handledVersion = version;
    if (Object.keys(delta).length === 0) return;
    const change: DesiredChange = { version, state: this.desiredState, delta };
    const handler = this.handler;
    this.queue = this.queue.then(async () => {
      try {
        const result = await handler(change);
        this.report(result ?? delta);
      } catch {
        // The handler declined; nothing is reported and the delta stays visible to operators.
      }
    });
  }
}
