import type { ArtifactSink } from './artifact-sink';
import { Backoff } from './backoff';
import { delay } from './delay';

export type FetchFunction = typeof fetch;

export interface HttpDownloadOptions {
  url: string;
  size: number;
  sink: ArtifactSink;
  signal: AbortSignal;
  onProgress(received: number): void;
  fetch?: FetchFunction;
  /** Consecutive attempts that bring no new byte before giving up. */
  maxStalledAttempts?: number;
  backoff?: Backoff;
}

/** A download that cannot succeed by retrying (the URL expired, the artifact is gone). */
export class DownloadRefused extends Error {}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Start of a `Content-Range: bytes start-end/size` header, or null. */
function rangeStart(header: string | null): number | null {
  const match = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return match ? Number(match[1]) : null;
}

/**
 * Fetches an artifact into `sink`, resuming with `Range: bytes={received}-` after a cut
 * (RFC 9110 §14.2): a 206 continues where the sink stopped; a 200 means the server sent the
 * whole file again, so the sink starts over. Retries with backoff while attempts still
 * make progress; gives up at once on a refusal (4xx other than 408/429).
 */
export async function downloadOverHttp(options: HttpDownloadOptions): Promise<void> {
  const { url, size, sink, signal, onProgress } = options;
  const doFetch = options.fetch ?? fetch;
  const backoff = options.backoff ?? new Backoff({ initialDelayMs: 250, maxDelayMs: 10_000, multiplier: 2 });
  const maxStalled = options.maxStalledAttempts ?? 6;
  let stalled = 0;
  let lastError = '';
  while (sink.received < size) {
    signal.throwIfAborted();
    if (stalled >= maxStalled) throw new Error(`download failed after ${stalled} attempts without progress: ${lastError}`);
    const before = sink.received;
    try {
      const headers: Record<string, string> = before > 0 ? { range: `bytes=${before}-` } : {};
      const response = await doFetch(url, { headers, signal });
      if (response.status === 416 && before >= size) break;
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        const message = `download refused: HTTP ${response.status}`;
        if (!isRetryableStatus(response.status)) throw new DownloadRefused(message);
        throw new Error(message);
      }
      if (response.status === 206) {
        const start = rangeStart(response.headers.get('content-range'));
        if (start !== before) throw new DownloadRefused(`server answered Range ${before}- with Content-Range starting at ${start}`);
      } else if (before > 0) {
        await sink.restart();
      }
      if (!response.body) throw new Error('download response has no body');
      for await (const chunk of response.body) {
        if (sink.received + chunk.byteLength > size) throw new DownloadRefused(`server sent more than the announced ${size} bytes`);
        await sink.write(chunk);
        onProgress(sink.received);
      }
    } catch (error) {
      if (signal.aborted || error instanceof DownloadRefused) throw error;
      lastError = (error as Error).message;
    }
    if (sink.received > before) {
      stalled = 0;
      backoff.reset();
    } else {
      stalled++;
    }
    if (sink.received < size) await delay(backoff.next(), signal);
  }
}
