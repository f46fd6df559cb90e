import { Controller, Injectable, Module } from '@nestjs/common';
import { Ctx, type MqttContext } from '@nestjs/microservices';
import { DomainError, DomainErrorCode } from '@edgefleet/common';
import { type DeviceMessageSpec, accept, isJsonObject, reject } from '@edgefleet/contracts';
import { DeviceChannel, DevicePayload, DirectDeviceRoutes, OnDeviceMessage, deviceIdOf } from '@edgefleet/gateway';

export interface ProbePayload {
  text: string;
  [key: string]: unknown;
}

/** A test-only device message: `devices/{id}/probe` `{text}`. */
export const probeSpec: DeviceMessageSpec<ProbePayload> = {
  pattern: 'devices/+/probe',
  check: (value) => (isJsonObject(value) && typeof value.text === 'string' ? accept(value as ProbePayload) : reject('expected an object with a string "text"')),
};

/** Test-only messages whose handler waits until the test releases it: one acknowledged after handling, one on receipt. */
export const heldProbeSpec: DeviceMessageSpec<ProbePayload> = { ...probeSpec, pattern: 'devices/+/probe/held', acknowledgeAfterHandling: true };
export const looseProbeSpec: DeviceMessageSpec<ProbePayload> = { ...probeSpec, pattern: 'devices/+/probe/loose' };

/** Echoes what it got on `devices/{id}/probe/echo`; `fail` throws a domain error, `crash` a plain one. */
@Controller()
export class ProbeHandler {
  readonly received: Array<{ deviceId: string; payload: ProbePayload }> = [];

  constructor(private readonly channel: DeviceChannel) {}

  @OnDeviceMessage(probeSpec)
  async onProbe(@DevicePayload(probeSpec) payload: ProbePayload, @Ctx() context: MqttContext): Promise<void> {
    const deviceId = deviceIdOf(context);
    this.received.push({ deviceId, payload });
    if (payload.text === 'fail') throw new DomainError(DomainErrorCode.Conflict, 'probe refused');
    if (payload.text === 'crash') throw new Error('probe crashed');
    await this.channel.publishJson(`devices/${deviceId}/probe/echo`, payload, { qos: 1 });
  }

  /** Held handlers finish when the test calls `release()`. */
  private held = gate();
  handledHeld: string[] = [];

  release(): void {
    this.held.open();
    this.held = gate();
  }

  @OnDeviceMessage(heldProbeSpec)
  async onHeld(@DevicePayload(heldProbeSpec) payload: ProbePayload): Promise<void> {
    if (payload.text === 'crash') throw new Error('probe crashed');
    await this.held.opened;
    this.handledHeld.push(payload.text);
  }

  @OnDeviceMessage(looseProbeSpec)
  async onLoose(@DevicePayload(looseProbeSpec) payload: ProbePayload): Promise<void> {
    await this.held.opened;
    this.handledHeld.push(payload.text);
  }
}

/** The same probe on direct routes (the embedded transport's path without Nest's pipeline). */
export const directProbeSpec: DeviceMessageSpec<ProbePayload> = { ...probeSpec, pattern: 'devices/+/direct' };
export const directHeldProbeSpec: DeviceMessageSpec<ProbePayload> = { ...probeSpec, pattern: 'devices/+/direct/held', acknowledgeAfterHandling: true };

/** Echoes on `devices/{id}/direct/echo`, synchronously refusing `fail` (domain error) and `crash`; the held kind waits for `release()`. */
@Injectable()
export class DirectProbe {
  readonly received: Array<{ deviceId: string; payload: ProbePayload }> = [];
  readonly handledHeld: string[] = [];
  private held = gate();

  constructor(channel: DeviceChannel, routes: DirectDeviceRoutes) {
    routes.add(directProbeSpec, (deviceId, payload) => {
      this.received.push({ deviceId, payload });
      if (payload.text === 'fail') throw new DomainError(DomainErrorCode.Conflict, 'probe refused');
      if (payload.text === 'crash') throw new Error('probe crashed');
      return channel.publishJson(`devices/${deviceId}/direct/echo`, payload, { qos: 1 });
    });
    routes.add(directHeldProbeSpec, async (_deviceId, payload) => {
      if (payload.text === 'crash') throw new Error('probe crashed');
      await this.held.opened;
      this.handledHeld.push(payload.text);
    });
  }

  release(): void {
    this.held.open();
    this.held = gate();
  }
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

@Module({ controllers: [ProbeHandler], providers: [DirectProbe] })
export class ProbeModule {}
