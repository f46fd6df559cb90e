import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ApiKey } from './api-key';
import { ApiKeyRepository } from './api-key.repository';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;
const TOUCH_EVERY_MS = 60_000;

/**
 * Keeps token lookups off the request path: a key is re-read at most every 5 s, and a
 * revocation in this process drops it at once. `lastUsedAt` is written at most once a
 * minute per key, in one statement.
 */
@Injectable()
export class ApiKeyCache implements OnModuleDestroy {
  private readonly entries = new Map<string, { key: ApiKey | null; until: number }>();
  private readonly used = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly keys: ApiKeyRepository) {
    this.timer = setInterval(() => void this.flushUsage(), TOUCH_EVERY_MS);
    this.timer.unref();
  }

  async resolve(hash: string, load: (hash: string) => Promise<ApiKey | null>): Promise<ApiKey | null> {
    const now = Date.now();
    const hit = this.entries.get(hash);
    const key = hit && hit.until > now ? hit.key : await load(hash);
    if (!hit || hit.until <= now) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(hash, { key, until: now + TTL_MS });
    }
    if (key) this.used.add(key.id);
    return key;
  }

  forget(id: string): void {
    for (const [hash, entry] of this.entries) if (entry.key?.id === id) this.entries.delete(hash);
  }

  async flushUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    await this.keys.touch(ids, new Date()).catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flushUsage();
  }
}
