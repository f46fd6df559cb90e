import { createReadStream } from 'node:fs';
import type { CliCommand } from '../cli-command';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { examples } from '../help-text';
import { ProgressBar, formatCount } from '../output/progress-bar';
import { CredentialsFile } from './credentials-file';
import { DeviceImporter, IMPORT_BATCH, type Refusal, batchBody } from './device-importer';
import { type ImportRow, type Registration, importFormatOf, readImportFile } from './import-reader';

/** Refused rows named one by one on stderr; past this, only counted (all are in the summary). */
const REFUSALS_SHOWN = 20;

interface ImportOptions {
  credentials?: string;
  format?: string;
  batchSize: number;
  concurrency: number;
}

/** Batches with the server at once by default: while one is written, the CLI reads the answer to the other. */
const CONCURRENCY = 2;
const MAX_CONCURRENCY = 4;

export function registerImportCommand(devices: CliCommand, cli: Cli): void {
  devices
    .command('import <file>')
    .description('register devices from a CSV or JSON-lines file, in batches of 10,000, with their passwords written to a new 0600 file')
    .option('--credentials <file>', 'where the passwords go (CSV, or JSON lines if it ends in .jsonl); must not exist (default: <file>.credentials.csv)')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--batch-size <n>', 'devices per request, 1-10000', (value) => batchSize(value), IMPORT_BATCH)
    .option('--concurrency <n>', `batches with the server at once, 1-${MAX_CONCURRENCY}`, (value) => concurrency(value), CONCURRENCY)
    .addHelpText(
      'after',
      `
CSV: a header row naming 'type' and any of 'id', 'name', 'tags' ("site:syd;floor:2"), 'tag.<key>'.
JSON lines: one {"id","name","type","tags":{"site":"syd"}} per line.
A row the file or the server refuses is named on stderr with its line number; the others are
registered, and the exit code is ${EXIT.partial}.
${examples('edgefleet devices import factory.csv --credentials factory-passwords.csv', 'edgefleet devices import devices.jsonl -o json')}`,
    )
    .action(async (file: string, options: ImportOptions) => {
      const format = importFormatOf(file, options.format);
      const total = await countLines(file, format);
      const { api } = cli.connection();
      const credentials = new CredentialsFile(options.credentials ?? `${file}.credentials.csv`);
      const progress = new ProgressBar(cli.io.stderr);
      const refusals: Refusal[] = [];
      let registered = 0;
      const draw = (final = false) => {
        const rate = registered / Math.max(progress.elapsedSeconds, 0.001);
        const refused = refusals.length ? ` · ${formatCount(refusals.length)} refused` : '';
        progress.update('import', registered + refusals.length, total, `${formatCount(registered)}/${formatCount(total)} devices${refused} · ${formatCount(Math.round(rate))}/s`, final);
      };
      const refuse = (refusal: Refusal) => {
        refusals.push(refusal);
        if (refusals.length <= REFUSALS_SHOWN) cli.note(`${file}:${refusal.line}: ${refusal.error}`);
        else if (refusals.length === REFUSALS_SHOWN + 1) cli.note('(more refused rows are counted, not shown)');
      };
      const importer = new DeviceImporter(api, {
        registered: (devices) => {
          credentials.write(devices);
          registered += devices.length;
          draw();
        },
        refused: refuse,
      });
      const inFlight = new Set<Promise<void>>();
      try {
        // The next batch is read, checked and serialised while the others are with the server.
        for await (const batch of batches(readImportFile(file, format), options.batchSize, refuse)) {
          const body = batchBody(batch);
          while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
          const sending: Promise<void> = importer.send(batch, body).finally(() => inFlight.delete(sending));
          // Seen by race/all below; until then its failure must not count as unhandled.
          sending.catch(() => undefined);
          inFlight.add(sending);
        }
        await Promise.all(inFlight);
      } catch (error) {
        // The other batches may still be answered: their passwords are written before the file closes.
        await Promise.allSettled(inFlight);
        throw error;
      } finally {
        credentials.close();
        draw(true);
      }
      const summary = { registered, refused: refusals.length, credentialsFile: credentials.path, refusals };
      const output = cli.output();
      if (output.machine) output.data(summary);
      else output.message(`registered ${formatCount(registered)} devices, refused ${formatCount(refusals.length)}; passwords in ${credentials.path}`);
      if (refusals.length) throw new CliError(`${formatCount(refusals.length)} of ${formatCount(registered + refusals.length)} rows refused (see above)`, EXIT.partial);
    });
}

function concurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw CliError.usage(`--concurrency: expected 1 to ${MAX_CONCURRENCY}, got '${value}'`);
  return n;
}

function batchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > IMPORT_BATCH) throw CliError.usage(`--batch-size: expected 1 to ${IMPORT_BATCH}, got '${value}'`);
  return n;
}

async function* batches(rows: AsyncIterable<ImportRow>, size: number, refuse: (refusal: Refusal) => void): AsyncGenerator<Array<{ line: number; device: Registration }>> {
  let batch: Array<{ line: number; device: Registration }> = [];
  for await (const row of rows) {
    if ('error' in row) {
      refuse(row);
      continue;
    }
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Rows in the file (non-empty lines, less a CSV header), for the progress bar's 100 %. */
async function countLines(file: string, format: string): Promise<number> {
  let lines = 0;
  let blank = true;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (const byte of chunk) {
        if (byte === 0x0a) {
          if (!blank) lines++;
          blank = true;
        } else if (byte !== 0x0d && byte !== 0x20) blank = false;
      }
    }
  } catch (error) {
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (!blank) lines++;
  return Math.max(0, format === 'csv' ? lines - 1 : lines);
}
