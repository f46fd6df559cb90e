import type { CliStream } from '../cli-io';

const BAR_WIDTH = 30;
/** Off a terminal (CI logs, pipes), a line at most this often, so a log is not flooded. */
const PLAIN_INTERVAL_MS = 1_000;
const TTY_INTERVAL_MS = 100;

/** `[██████░░░░]` filled to `fraction`. */
export function bar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Progress on stderr, so stdout stays the command's result. On a terminal one line redrawn in
 * place (several lines for `lines()`); elsewhere a plain line now and then, and always the last.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawnLines = 0;
  private lastText = '';
  private readonly started = Date.now();

  constructor(private readonly stream: CliStream) {}

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** `label [████░░░░]  42%  detail`. */
  update(label: string, done: number, total: number, detail: string, final = false): void {
    const fraction = total > 0 ? done / total : 0;
    this.lines([`${label} ${bar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${detail}`], final);
  }

  lines(lines: string[], final = false): void {
    const now = Date.now();
    const tty = Boolean(this.stream.isTTY);
    const text = lines.join('\n');
    if (text === this.lastText) {
      // Already shown; a terminal still needs the line ended.
      if (final && tty && this.drawnLines) this.stream.write('\n'), (this.drawnLines = 0);
      return;
    }
    if ((!final && now - this.lastDraw < (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS))) return;
    this.lastDraw = now;
    this.lastText = text;
    if (!tty) {
      this.stream.write(`${text}\n`);
      return;
    }
    // Back to the first line drawn last time, then each line cleared and written again.
    const up = this.drawnLines > 1 ? `\x1b[${this.drawnLines - 1}A` : '';
    const width = (this.stream.columns ?? 120) - 1;
    this.stream.write(`${up}\r${lines.map((line) => `\x1b[2K${line.slice(0, width)}`).join('\n')}${final ? '\n' : ''}`);
    this.drawnLines = final ? 0 : lines.length;
  }
}
