/**
 * Collects items for `delayMs`, then hands them over at once; one hand-over at a time, so a
 * reconnect storm becomes a few queries instead of one per device. `handle` reports its own
 * errors: a rejection would stop later hand-overs.
 */
export class Batch<T> {
  private items: T[] = [];
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly delayMs: number,
    private readonly handle: (items: T[]) => Promise<void>,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Hands over what is collected now and resolves once every hand-over so far has finished. */
  async drain(): Promise<void> {
    this.flush();
    await this.running;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.running = this.running.then(() => this.handle(items));
  }
}
