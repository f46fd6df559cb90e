import { Injectable } from '@nestjs/common';
import { type DeviceMessageSpec, compileTopicFilter } from '@edgefleet/contracts';

/** Handles one checked device message (sent at `qos`); may throw (or reject) like a Nest handler, with the same effect. */
export type DirectDeviceHandler<T> = (deviceId: string, payload: T, qos: number) => Promise<void> | void;

export interface DirectDeviceRoute {
  readonly spec: DeviceMessageSpec<unknown>;
  readonly handle: DirectDeviceHandler<unknown>;
  readonly matches: (topic: string) => boolean;
}

/**
 * Device message kinds that the embedded transport hands straight to a function instead of
 * through Nest's RPC pipeline (guards, pipes, interceptors, filters, a handful of promises
 * and an observable per message): for the hottest topics, where that pipeline cost a third
 * of the server's CPU per message. The payload check and the error answers to the device
 * are the same as on the pipeline. A feature that adds a route keeps its `@EventPattern`
 * handler for the transport over an external broker (`BROKER_URL`).
 */
@Injectable()
export class DirectDeviceRoutes {
  private readonly routes: DirectDeviceRoute[] = [];

  add<T>(spec: DeviceMessageSpec<T>, handle: DirectDeviceHandler<T>): void {
    this.routes.push({ spec, handle: handle as DirectDeviceHandler<unknown>, matches: compileTopicFilter(spec.pattern) });
  }

  match(topic: string): DirectDeviceRoute | undefined {
    for (const route of this.routes) if (route.matches(topic)) return route;
    return undefined;
  }
}
