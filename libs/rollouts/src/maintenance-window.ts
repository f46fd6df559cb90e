import { type CronExpression, type LocalTime, cronMatches, parseCron } from './cron-expression';

export interface MaintenanceWindow {
  /** Five-field cron: when a window opens. */
  cron: string;
  /** How long each window stays open. */
  durationMinutes: number;
  /** IANA time zone the cron is read in; UTC when absent. */
  timeZone?: string;
}

const MINUTE_MS = 60_000;
/** A window may last at most a week, which bounds the look-back below. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `now` falls inside a window: some minute within the last `durationMinutes`
 * (including the current one) matches the cron in the window's time zone. Checked minute by
 * minute so DST shifts are handled by the platform's zone data, not by arithmetic here.
 */
export class WindowSchedule {
  private readonly cron: CronExpression;
  private readonly localTime: (at: Date) => LocalTime;
  private cached?: { minute: number; open: boolean };

  constructor(readonly window: MaintenanceWindow) {
    this.cron = parseCron(window.cron);
    this.localTime = localTimeIn(window.timeZone ?? 'UTC');
  }

  isOpen(now: Date): boolean {
    const minute = Math.floor(now.getTime() / MINUTE_MS);
    if (this.cached?.minute === minute) return this.cached.open;
    let open = false;
    for (let back = 0; back < this.window.durationMinutes && !open; back++) {
      open = cronMatches(this.cron, this.localTime(new Date((minute - back) * MINUTE_MS)));
    }
    this.cached = { minute, open };
    return open;
  }

  /** The next minute at or after `now` at which a window opens, within a week and a day; null if none. */
  nextOpening(now: Date): Date | null {
    const first = Math.ceil(now.getTime() / MINUTE_MS);
    for (let minute = first; minute < first + MAX_WINDOW_MINUTES + 24 * 60; minute++) {
      if (cronMatches(this.cron, this.localTime(new Date(minute * MINUTE_MS)))) return new Date(minute * MINUTE_MS);
    }
    return null;
  }
}

export interface WindowStatus {
  open: boolean;
  /** When closed: when it opens next. */
  nextOpenAt: Date | null;
}

export function windowStatus(window: MaintenanceWindow, now: Date): WindowStatus {
  const schedule = new WindowSchedule(window);
  const open = schedule.isOpen(now);
  return { open, nextOpenAt: open ? null : schedule.nextOpening(now) };
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localTimeIn(zone: string): (at: Date) => LocalTime {
  if (zone === 'UTC' || zone === 'Etc/UTC') {
    return (at) => ({ minute: at.getUTCMinutes(), hour: at.getUTCHours(), dayOfMonth: at.getUTCDate(), month: at.getUTCMonth() + 1, dayOfWeek: at.getUTCDay() });
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  return (at) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(at)) parts[part.type] = part.value;
    return {
      minute: Number(parts.minute),
      hour: Number(parts.hour),
      dayOfMonth: Number(parts.day),
      month: Number(parts.month),
      dayOfWeek: WEEKDAY_INDEX[parts.weekday],
    };
  };
}
