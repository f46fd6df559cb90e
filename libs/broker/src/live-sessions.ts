import { Injectable } from '@nestjs/common';
import type { Client } from 'aedes';

/** The device sessions this process holds: one per device id, and when each opened. */
@Injectable()
export class LiveSessions {
  /** A takeover replaces a device's session before the old one's disconnect is seen. */
  private readonly byDevice = new Map<string, Client>();
  /** When each session opened (ms), to order takeovers across nodes. */
  private readonly openedAt = new WeakMap<Client, number>();

  add(client: Client, openedAt: number): void {
    this.byDevice.set(client.id, client);
    this.openedAt.set(client, openedAt);
  }

  /** False if a newer session for the device has replaced this one (it owns the presence now). */
  remove(client: Client): boolean {
    if (this.byDevice.get(client.id) !== client) return false;
    this.byDevice.delete(client.id);
    return true;
  }

  get(deviceId: string): Client | undefined {
    return this.byDevice.get(deviceId);
  }

  has(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  openedAtOf(client: Client): number {
    return this.openedAt.get(client) ?? 0;
  }

  get size(): number {
    return this.byDevice.size;
  }

  deviceIds(): string[] {
    return [...this.byDevice.keys()];
  }

  all(): Client[] {
    return [...this.byDevice.values()];
  }
}
