/**
 * `new Date().toISOString()`, formatted once per millisecond: at 20,000 reports/s a dozen
 * or so reports share each millisecond's change time.
 */
export class IsoClock {
  private lastMs = NaN;
  private lastIso = '';

  iso(nowMs = Date.now()): string {
    if (nowMs !== this.lastMs) {
      this.lastMs = nowMs;
      this.lastIso = new Date(nowMs).toISOString();
    }
    return this.lastIso;
  }
}
