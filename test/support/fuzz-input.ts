/** Seeded generators of hostile input for bounded fuzz tests: the same seed gives the same cases, so a failure can be replayed. */
export class Fuzz {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a small, well-mixed 32-bit PRNG. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A string that is sometimes fine and sometimes what Postgres or JSON cannot hold. */
  text(): string {
    return this.pick([
      () => 'ok',
      () => '',
      () => 'a\u0000b',
      () => '\ud800',
      () => 'x\udfff',
      () => '😀',
      () => 'x'.repeat(this.int(300)),
      () => String.fromCharCode(...Array.from({ length: this.int(12) }, () => this.int(0x10000))),
      () => '../../etc/passwd',
      () => '%00',
    ])();
  }

  /** A JSON value as text (the raw text, so `1e999`, lone-surrogate escapes and deep nesting survive). */
  jsonText(depth = 0): string {
    const choice = this.int(depth > 4 ? 6 : 9);
    switch (choice) {
      case 0:
        return JSON.stringify(this.text());
      case 1:
        return this.pick(['1e999', '-1e999', '0', '-1', '3.5', '1e308', '100', '101', '65536']);
      case 2:
        return this.pick(['true', 'false', 'null']);
      case 3:
        return this.pick(['"\\ud800"', '"a\\u0000b"', '"\\udc00x"', '"ok"']);
      case 4:
        return this.pick(['"queued"', '"accepted"', '"downloading"', '"installing"', '"succeeded"', '"failed"', '"rejected"']);
      case 5:
        return String(this.int(1000));
      case 6:
        return `[${Array.from({ length: this.int(4) }, () => this.jsonText(depth + 1)).join(',')}]`;
      case 7:
        return this.pick(['[', '{', '{"a":', '"unterminated', '{"a":1,}', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`]);
      default: {
        const keys = ['status', 'reason', 'progress', 'offset', 'length', 'online', 'type', 'name', 'tags', 'id', 'devices', 'firmware', 'version', 'note', '\\u0000', '\\ud800', 'strategy', 'target'];
        return `{${Array.from({ length: this.int(5) }, () => `"${this.pick(keys)}":${this.jsonText(depth + 1)}`).join(',')}}`;
      }
    }
  }

  /** A payload: mostly JSON text, sometimes bytes that are not UTF-8 at all. */
  payload(): Buffer {
    if (this.int(10) === 0) return Buffer.from(Array.from({ length: this.int(40) }, () => this.int(256)));
    return Buffer.from(this.jsonText(), 'utf8');
  }
}
