import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from '@edgefleet/api-client';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import type { Registration } from './import-reader';

export const IMPORT_BATCH = 10_000;
/** A batch that failed for the server's sake (5xx: rolled back; connection refused) is sent again this many times at most. */
const TRANSIENT_RETRIES = 3;

export interface Registered {
  id: string;
  credentials: { username: string; password: string };
}

export interface Refusal {
  line: number;
  error: string;
}

export interface ImportSink {
  registered(devices: Registered[]): void;
  refused(refusal: Refusal): void;
}

/**
 * Registers devices through `POST /devices/batch`. The endpoint is all or nothing; a batch is
 * an optimisation, never a shared fate: when the server refuses a batch for its input (400,
 * 409), it is split in halves until the rows at fault are alone, and only those are refused.
 */
export class DeviceImporter {
  constructor(
    private readonly api: ApiClient,
    private readonly sink: ImportSink,
  ) {}

  /** `body`: the batch already serialised (the caller did it while the previous batch was with the server). */
  async send(rows: Array<{ line: number; device: Registration }>, body = batchBody(rows)): Promise<void> {
    if (!rows.length) return;
    const outcome = await this.post(body);
    if (outcome.ok) return this.sink.registered(outcome.devices);
    if (rows.length === 1) return this.sink.refused({ line: rows[0].line, error: outcome.message });
    const half = Math.ceil(rows.length / 2);
    await this.send(rows.slice(0, half));
    await this.send(rows.slice(half));
  }

  /** The server's answer to one batch; throws when it is not about the input (auth, server failing). */
  private async post(body: string): Promise<{ ok: true; devices: Registered[] } | { ok: false; message: string }> {
    for (let attempt = 0; ; attempt++) {
      let result;
      try {
        result = await this.api.POST('/api/v1/devices/batch', { body: { devices: [] }, bodySerializer: () => body });
      } catch (error) {
        // Only a connection never made is safe to repeat: a batch whose answer was lost on the
        // way may have been written, and its passwords cannot be asked for again.
        if (attempt >= TRANSIENT_RETRIES || (error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
        await sleep(500 * 2 ** attempt);
        continue;
      }
      const { response, error, data } = result;
      if (response.ok) return { ok: true, devices: (data as unknown as { devices: Registered[] }).devices };
      const failure = CliError.fromResponse(response.status, error, 'register devices');
      if (failure.exitCode === EXIT.usage || failure.exitCode === EXIT.conflict) return { ok: false, message: failure.message.replace(/^register devices: /, '') };
      if (response.status < 500 || attempt >= TRANSIENT_RETRIES) throw failure;
      await sleep(500 * 2 ** attempt);
    }
  }
}

/** The request body of a batch, `{"devices":[...]}`. */
export function batchBody(rows: Array<{ device: Registration }>): string {
  return JSON.stringify({ devices: rows.map((row) => row.device) });
}
