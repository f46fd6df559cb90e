/**
 * Five-field cron (`minute hour day-of-month month day-of-week`) as in Vixie cron: `*`,
 * lists, ranges, steps (`*\/15`, `1-5/2`), month and weekday names, Sunday as 0 or 7.
 * When both day fields are restricted a time matches either of them (crontab(5)).
 */
export interface CronExpression {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  dayOfMonthAny: boolean;
  dayOfWeekAny: boolean;
}

/** Wall-clock fields of an instant in some time zone; month 1-12, dayOfWeek 0 (Sunday)-6. */
export interface LocalTime {
  minute: number;
  hour: number;
  dayOfMonth: number;
  month: number;
  dayOfWeek: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesStart?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesStart: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesStart: 0 },
];

export class CronSyntaxError extends Error {}

export function parseCron(text: string): CronExpression {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronSyntaxError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, daysOfMonth, months, weekdays] = parts.map((part, index) => parseField(part, FIELDS[index]));
  if (weekdays.has(7)) weekdays.add(0);
  weekdays.delete(7);
  return { minutes, hours, daysOfMonth, months, daysOfWeek: weekdays, dayOfMonthAny: parts[2] === '*', dayOfWeekAny: parts[4] === '*' };
}

export function cronMatches(cron: CronExpression, time: LocalTime): boolean {
  if (!cron.minutes.has(time.minute) || !cron.hours.has(time.hour) || !cron.months.has(time.month)) return false;
  const dom = cron.daysOfMonth.has(time.dayOfMonth);
  const dow = cron.daysOfWeek.has(time.dayOfWeek);
  if (cron.dayOfMonthAny || cron.dayOfWeekAny) return dom && dow;
  return dom || dow;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`${spec.name}: '${item}' has more than one '/'`);
    const step = stepText === undefined ? 1 : parseNumber(stepText, spec, 'step');
    if (step < 1) throw new CronSyntaxError(`${spec.name}: step must be at least 1`);
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [spec.min, spec.name === 'day of week' ? 6 : spec.max];
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [parseValue(a, spec), parseValue(b, spec)];
      if (from > to) throw new CronSyntaxError(`${spec.name}: range '${range}' runs backwards`);
    } else {
      from = parseValue(range, spec);
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseValue(text: string, spec: FieldSpec): number {
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return index + (spec.namesStart ?? 0);
  const value = parseNumber(text, spec, 'value');
  if (value < spec.min || value > spec.max) throw new CronSyntaxError(`${spec.name}: ${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

function parseNumber(text: string, spec: FieldSpec, what: string): number {
  if (!/^\d{1,2}$/.test(text)) throw new CronSyntaxError(`${spec.name}: '${text}' is not a ${what}`);
  return Number(text);
}
