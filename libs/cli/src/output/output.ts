import { stringify } from 'yaml';
import { CliError } from '../cli-error';
import { type CliIo, colourEnabled, terminalWidth } from '../cli-io';
import { renderTable } from './table';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A column of a table: its header, how a row shows in it, and whether only `-o wide` shows it. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  wide?: boolean;
}

/** A row of a route whose OpenAPI document declares no response schema: read by field name. */
export type Row = Record<string, unknown>;

/** Columns that show fields as they are: `columns(['ID', 'id'], ['ROLE', 'role'])`; a third `true` makes it wide-only. */
export function fieldColumns(...fields: Array<[header: string, field: string, wide?: boolean]>): Column<Row>[] {
  return fields.map(([header, field, wide]) => ({ header, value: (row: Row) => row[field], wide }));
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw CliError.usage(`-o: expected one of ${OUTPUT_FORMATS.join(', ')}, got '${format}'`);
  return format as OutputFormat;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cellText).join(',') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/\s+/g, ' ');
}

/**
 * Prints results in the chosen format: `json` and `yaml` print the API's JSON as it came,
 * `table` and `wide` print columns for people.
 */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly format: OutputFormat,
  ) {}

  get machine(): boolean {
    return this.format === 'json' || this.format === 'yaml';
  }

  list<T>(rows: T[], columns: Column<T>[]): void {
    if (this.machine) return this.data(rows);
    const shown = columns.filter((column) => this.format === 'wide' || !column.wide);
    const cells = rows.map((row) => shown.map((column) => cellText(column.value(row))));
    this.io.stdout.write(renderTable(shown.map((c) => c.header), cells, this.width(), this.bold()));
  }

  /** One object: for people, a FIELD / VALUE table of the columns (with `wide`, every field). */
  item<T extends object>(item: T, columns: Column<T>[]): void {
    if (this.machine) return this.data(item);
    const rows: string[][] =
      this.format === 'wide'
        ? Object.entries(item).map(([key, value]) => [key, cellText(value)])
        : columns.map((column) => [column.header, cellText(column.value(item))]);
    this.io.stdout.write(renderTable(['FIELD', 'VALUE'], rows, this.width(), this.bold()));
  }

  /** JSON or YAML of the value; in table formats, YAML (nested state reads best so). */
  data(value: unknown): void {
    this.io.stdout.write(this.format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
  }

  /** A line for people (table formats only); scripts reading JSON never see it. */
  message(text: string): void {
    if (!this.machine) this.io.stdout.write(`${text}\n`);
  }

  private width(): number {
    return terminalWidth(this.io.stdout, this.io.env);
  }

  private bold(): (text: string) => string {
    return colourEnabled(this.io.stdout, this.io.env) ? (text) => `\x1b[1m${text}\x1b[0m` : (text) => text;
  }
}
