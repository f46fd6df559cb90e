import { Inject, Injectable } from '@nestjs/common';
import { PresenceWriter } from '@edgefleet/broker';
import { DeviceEvents } from '@edgefleet/registry';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway-options';

/** A device already recorded alive by this server is not recorded again for this long (lastSeenAt granularity). */
const SIGN_OF_LIFE_INTERVAL_MS = 5_000;
const MAX_TRACKED = 200_000;

/**
 * Presence with an external broker (`BROKER_URL`), which does not tell us about CONNECT or
 * disconnect: a device's `devices/{id}/presence` reports (its announcement after CONNECT and
 * its Last Will) change online/offline, and any other message from it is a sign of life.
 * Writes go through the same batched PresenceWriter as the embedded broker's. With the
 * embedded broker the broker's own session events are the truth, so nothing here applies.
 */
@Injectable()
export class ExternalPresence {
  private readonly recordedAlive = new Map<string, number>();

  constructor(
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    private readonly writer: PresenceWriter,
    private readonly events: DeviceEvents,
  ) {}

  get active(): boolean {
    return Boolean(this.options.brokerUrl);
  }

  /** The device announced itself (`online: true`) or its Last Will arrived (`online: false`). */
  reported(deviceId: string, online: boolean): void {
    if (!this.active) return;
    this.writer.record(deviceId, online, new Date(), online);
    if (online) {
      this.remember(deviceId);
      // The same reaction as to a CONNECT on the embedded broker: resend in-flight jobs, start waiting ones.
      this.events.emit('connected', deviceId);
    } else {
      this.recordedAlive.delete(deviceId);
      this.events.emit('disconnected', deviceId);
    }
  }

  /** A message from the device: it is connected now. */
  seen(deviceId: string): void {
    if (!this.active) return;
    const last = this.recordedAlive.get(deviceId);
    if (last !== undefined && Date.now() - last < SIGN_OF_LIFE_INTERVAL_MS) return;
    this.remember(deviceId);
    this.writer.record(deviceId, true);
  }

  private remember(deviceId: string): void {
    if (this.recordedAlive.size >= MAX_TRACKED) this.recordedAlive.clear();
    this.recordedAlive.set(deviceId, Date.now());
  }
}
