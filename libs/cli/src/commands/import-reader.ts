import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DEVICE_ID_PATTERN, parseTag } from '@edgefleet/contracts';
import { CliError } from '../cli-error';

export type ImportFormat = 'csv' | 'jsonl';

export interface Registration {
  id?: string;
  name?: string;
  type: string;
  tags?: Record<string, string>;
}

/** One line of the file: a registration, or why it was refused. */
export type ImportRow = { line: number; device: Registration } | { line: number; error: string };

export function importFormatOf(file: string, given?: string): ImportFormat {
  if (given === 'csv' || given === 'jsonl') return given;
  if (given) throw CliError.usage(`--format: expected csv or jsonl, got '${given}'`);
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl';
  throw CliError.usage(`${file}: cannot tell the format from the name; give --format csv or --format jsonl`);
}

/**
 * The devices of a CSV file (a header row naming `type` and any of `id`, `name`, `tags`
 * (`key:value` separated by `;`), `tag.<key>`) or of JSON lines (`{"id","name","type","tags"}`
 * per line). Each row is checked here, where it enters: a bad row is refused with its line
 * number and the reason, and the rest go on.
 */
export async function* readImportFile(file: string, format: ImportFormat): AsyncGenerator<ImportRow> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  const seen = new Set<string>();
  let header: string[] | undefined;
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      if (!text.trim()) continue;
      if (format === 'csv' && !header) {
        header = parseCsvLine(text).map((name) => name.trim());
        if (!header.includes('type')) throw CliError.usage(`${file}:1: the CSV header must name a 'type' column (got: ${header.join(',')})`);
        continue;
      }
      let device: Registration;
      try {
        device = checked(format === 'csv' ? fromCsv(header!, parseCsvLine(text)) : fromJson(text));
      } catch (error) {
        yield { line: number, error: (error as Error).message };
        continue;
      }
      if (device.id !== undefined) {
        if (seen.has(device.id)) {
          yield { line: number, error: `id ${device.id} appears earlier in the file` };
          continue;
        }
        seen.add(device.id);
      }
      yield { line: number, device };
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** RFC 4180 fields of one line: commas, double quotes, `""` for a quote inside quotes. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') fields.push(field), (field = '');
    else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  fields.push(field);
  return fields;
}

function fromCsv(header: string[], fields: string[]): Record<string, unknown> {
  if (fields.length !== header.length) throw new Error(`${fields.length} fields where the header has ${header.length}`);
  const row: Record<string, unknown> = {};
  const tags: Record<string, string> = {};
  header.forEach((name, i) => {
    const value = fields[i];
    if (name === 'tags') {
      for (const entry of value.split(';').map((t) => t.trim()).filter(Boolean)) {
        const tag = parseTag(entry);
        if (!tag) throw new Error(`tags: '${entry}' is not key:value`);
        tags[tag.key] = tag.value;
      }
    } else if (name.startsWith('tag.')) {
      if (value !== '') tags[name.slice(4)] = value;
    } else if (value !== '') row[name] = value;
  });
  if (Object.keys(tags).length) row.tags = tags;
  return row;
}

function fromJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('each line must be a JSON object {"id","name","type","tags"}');
  return value as Record<string, unknown>;
}

const FIELDS = new Set(['id', 'name', 'type', 'tags']);

function checked(row: Record<string, unknown>): Registration {
  for (const key of Object.keys(row)) if (!FIELDS.has(key)) throw new Error(`${key}: unknown field (expected id, name, type, tags)`);
  const { id, name, type, tags } = row;
  if (typeof type !== 'string' || !type) throw new Error('type: required');
  if (id !== undefined && (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id))) throw new Error(`id: '${String(id)}' is not a valid device id`);
  if (name !== undefined && typeof name !== 'string') throw new Error('name: must be text');
  if (tags !== undefined) {
    if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw new Error('tags: must be an object of key: value');
    for (const [key, value] of Object.entries(tags)) if (typeof value !== 'string' || !parseTag(`${key}:${value}`)) throw new Error(`tags: '${key}:${String(value)}' is not a valid tag`);
  }
  return row as unknown as Registration;
}
