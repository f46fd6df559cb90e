/** This process' own CPU and memory, sampled for the progress line and the summary. */
export class ProcessUsage {
  private readonly startedAt = process.hrtime.bigint();
  private readonly cpuAtStart = process.cpuUsage();
  private lastSample = { at: process.hrtime.bigint(), cpu: process.cpuUsage() };
  peakRss = process.memoryUsage.rss();
  private lastRss = this.peakRss;

  /** CPU used since the last sample, as a percentage of one core, and the RSS now (MiB). */
  sample(): { cpuPercent: number; rssMiB: number } {
    const at = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const used = cpu.user - this.lastSample.cpu.user + cpu.system - this.lastSample.cpu.system;
    const elapsedUs = Number(at - this.lastSample.at) / 1_000;
    this.lastSample = { at, cpu };
    const rss = (this.lastRss = residentSetSize() ?? this.lastRss);
    this.peakRss = Math.max(this.peakRss, rss);
    return { cpuPercent: elapsedUs > 0 ? (used / elapsedUs) * 100 : 0, rssMiB: rss / 2 ** 20 };
  }

  /** Totals since start: CPU seconds (user + system), average % of one core, wall seconds, peak RSS (MiB). */
  totals(): { cpuSeconds: number; cpuPercent: number; wallSeconds: number; peakRssMiB: number } {
    this.sample();
    const cpu = process.cpuUsage(this.cpuAtStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const wallSeconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    return { cpuSeconds, cpuPercent: wallSeconds > 0 ? (cpuSeconds / wallSeconds) * 100 : 0, wallSeconds, peakRssMiB: this.peakRss / 2 ** 20 };
  }
}

/**
 * The RSS now, or undefined when it cannot be read: libuv reads it from /proc/self/stat, which
 * takes a file descriptor, and a simulator holding one socket per device can have none left
 * (EMFILE) — a progress line must not take the whole fleet down with it.
 */
function residentSetSize(): number | undefined {
  try {
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}
