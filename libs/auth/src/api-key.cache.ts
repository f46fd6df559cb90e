import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ApiKey } from './api-key';
import { ApiKeyRepository } from './api-key.repository';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;
/** Unknown tokens remembered, apart from the keys: a flood of bad tokens must not push good keys out. */
const MAX_MISSES = 1_000;
const TOUCH_EVERY_MS = 60_000;

/**
 * Keeps token lookups off the request path: a key is re-read at most every 5 s, and a
 * revocation in this process drops it at once. `lastUsedAt` is written at most once a
 * minute per key, in one statement. Tokens that matched no key are remembered in a second,
 * smaller map: a flood of bad tokens (once it emptied the cache, issue #15) evicts only
 * other bad tokens, and a full map drops its oldest entry rather than all of them.
 */
@Injectable()
export class ApiKeyCache implements OnModuleDestroy {
  private readonly entries = new Map<string, { key: ApiKey; until: number }>();
  private readonly misses = new Map<string, number>();
  private readonly used = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly keys: ApiKeyRepository) {
    this.timer = setInterval(() => void this.flushUsage(), TOUCH_EVERY_MS);
    this.timer.unref();
  }

  async resolve(hash: string, load: (hash: string) => Promise<ApiKey | null>): Promise<ApiKey | null> {
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit && hit.until > now) {
      this.used.add(hit.key.id);
      return hit.key;
    }
    if ((this.misses.get(hash) ?? 0) > now) return null;
    const key = await load(hash);
    if (key) {
      remember(this.entries, hash, { key, until: now + TTL_MS }, MAX_ENTRIES);
      this.misses.delete(hash);
      this.used.add(key.id);
    } else {
      this.entries.delete(hash);
      remember(this.misses, hash, now + TTL_MS, MAX_MISSES);
    }
    return key;
  }

  forget(id: string): void {
    for (const [hash, entry] of this.entries) if (entry.key.id === id) this.entries.delete(hash);
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

/** Sets an entry as the newest, dropping the oldest past `max`. */
function remember<V>(map: Map<string, V>, hash: string, value: V, max: number): void {
  map.delete(hash);
  map.set(hash, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
