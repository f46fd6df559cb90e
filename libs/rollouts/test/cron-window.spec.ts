import { CronSyntaxError, cronMatches, parseCron } from '../src/cron-expression';
import { WindowSchedule, isKnownTimeZone, localTimeIn } from '../src/maintenance-window';

const utc = localTimeIn('UTC');
const at = (iso: string) => utc(new Date(iso));

describe('cron expressions', () => {
  it('matches fields, lists, ranges and steps', () => {
    const cron = parseCron('*/15 2-4 * * *');
    expect(cronMatches(cron, at('2026-12-01T02:30:00Z'))).toBe(true);
    expect(cronMatches(cron, at('2026-12-01T02:31:00Z'))).toBe(false);
    expect(cronMatches(cron, at('2026-12-01T05:00:00Z'))).toBe(false);
    expect(cronMatches(parseCron('0 9,17 * * *'), at('2026-12-01T17:00:00Z'))).toBe(true);
  });

  it('reads weekday and month names, and Sunday as 0 or 7', () => {
    // 2026-12-06 is a Sunday.
    expect(cronMatches(parseCron('0 3 * * 7'), at('2026-12-06T03:00:00Z'))).toBe(true);
    expect(cronMatches(parseCron('0 3 * * sun'), at('2026-12-06T03:00:00Z'))).toBe(true);
    expect(cronMatches(parseCron('0 3 * * mon-fri'), at('2026-12-06T03:00:00Z'))).toBe(false);
    expect(cronMatches(parseCron('0 3 * dec *'), at('2026-12-06T03:00:00Z'))).toBe(true);
  });

  it('matches either day field when both are restricted (crontab(5))', () => {
    const cron = parseCron('0 0 1 * mon');
    expect(cronMatches(cron, at('2026-12-01T00:00:00Z'))).toBe(true); // the 1st (a Tuesday)
    expect(cronMatches(cron, at('2026-12-07T00:00:00Z'))).toBe(true); // a Monday
    expect(cronMatches(cron, at('2026-12-08T00:00:00Z'))).toBe(false);
  });

  it('rejects malformed expressions with a reason', () => {
    expect(() => parseCron('0 2 * *')).toThrow(CronSyntaxError);
    expect(() => parseCron('60 * * * *')).toThrow(/minute: 60 is outside 0-59/);
    expect(() => parseCron('0 5-2 * * *')).toThrow(/runs backwards/);
    expect(() => parseCron('*/0 * * * *')).toThrow(/step/);
    expect(() => parseCron('a * * * *')).toThrow(/not a value/);
  });
});

describe('maintenance windows', () => {
  it('is open from each cron match for durationMinutes', () => {
    const window = new WindowSchedule({ cron: '0 2 * * *', durationMinutes: 120 });
    expect(window.isOpen(new Date('2026-12-01T01:59:59Z'))).toBe(false);
    expect(window.isOpen(new Date('2026-12-01T02:00:00Z'))).toBe(true);
    expect(window.isOpen(new Date('2026-12-01T03:59:59Z'))).toBe(true);
    expect(window.isOpen(new Date('2026-12-01T04:00:00Z'))).toBe(false);
  });

  it('reads the cron in the window time zone, including across midnight and DST', () => {
    // 02:00 in Sydney (UTC+11 in December) is 15:00 UTC the day before.
    const sydney = new WindowSchedule({ cron: '0 2 * * *', durationMinutes: 60, timeZone: 'Australia/Sydney' });
    expect(sydney.isOpen(new Date('2026-11-30T15:30:00Z'))).toBe(true);
    expect(sydney.isOpen(new Date('2026-12-01T02:30:00Z'))).toBe(false);
    // 02:00 in New York is 07:00 UTC in winter (EST) and 06:00 UTC in summer (EDT).
    const ny = new WindowSchedule({ cron: '0 2 * * *', durationMinutes: 30, timeZone: 'America/New_York' });
    expect(ny.isOpen(new Date('2026-01-15T07:10:00Z'))).toBe(true);
    expect(ny.isOpen(new Date('2026-07-15T06:10:00Z'))).toBe(true);
    expect(ny.isOpen(new Date('2026-07-15T07:10:00Z'))).toBe(false);
  });

  it('knows IANA zones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });
});
