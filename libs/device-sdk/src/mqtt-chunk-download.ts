import type { ArtifactSink } from './artifact-sink';
import { DownloadRefused } from './http-download';

/** What the chunk download needs from the device's MQTT session. */
export interface ChunkTransport {
  readonly connected: boolean;
  /** Publishes `{offset, length}` on `devices/{id}/artifacts/{artifactId}/get`. */
  requestChunk(artifactId: string, offset: number, length: number): void;
}

export interface ChunkDownloadOptions {
  artifactId: string;
  size: number;
  sink: ArtifactSink;
  signal: AbortSignal;
  onProgress(received: number): void;
  chunkSize: number;
  /** How long to wait for a chunk before asking again. */
  chunkTimeoutMs?: number;
  /** Unanswered requests in a row (while connected) before giving up. */
  maxUnanswered?: number;
}

interface PendingChunk {
  offset: number;
  resolve(bytes: Buffer | null): void;
  reject(error: Error): void;
}

/**
 * Downloads an artifact over MQTT, one chunk at a time: asks for `{offset, length}` on
 * `.../artifacts/{aid}/get` and takes the `.../data` message whose 8-byte big-endian header
 * carries that offset. Duplicates and stale chunks (another offset) are ignored, so a chunk
 * that arrives after its request timed out does no harm. A reconnect simply resumes at the
 * first missing byte.
 */
export class MqttChunkDownload {
  private pending: PendingChunk | null = null;
  private interrupted = false;

  constructor(
    private readonly transport: ChunkTransport,
    private readonly options: ChunkDownloadOptions,
  ) {}

  /** A `data` message for this artifact. */
  deliver(offset: number, bytes: Buffer): void {
    if (this.pending?.offset === offset) this.pending.resolve(bytes);
  }

  /**
   * The session is back online. A request sent before the cut, or its answer, was lost with
   * the connection (clean sessions keep nothing in flight): ask again now rather than after the timeout.
   */
  reconnected(): void {
    if (!this.pending) return;
    this.interrupted = true;
    this.pending.resolve(null);
  }

  /** The server refused a `get` for this artifact (`devices/{id}/errors`). */
  refuse(message: string): void {
    this.pending?.reject(new DownloadRefused(`chunk request refused: ${message}`));
  }

  async run(): Promise<void> {
    const { artifactId, size, sink, signal, chunkSize } = this.options;
    const maxUnanswered = this.options.maxUnanswered ?? 5;
    let unanswered = 0;
    while (sink.received < size) {
      signal.throwIfAborted();
      const offset = sink.received;
      const length = Math.min(chunkSize, size - offset);
      const wasConnected = this.transport.connected;
      if (wasConnected) this.transport.requestChunk(artifactId, offset, length);
      const bytes = await this.awaitChunk(offset);
      if (!bytes) {
        if (this.interrupted) {
          this.interrupted = false;
          continue;
        }
        if (wasConnected && ++unanswered >= maxUnanswered) throw new Error(`no answer to ${unanswered} chunk requests at offset ${offset}`);
        continue;
      }
      unanswered = 0;
      if (bytes.length === 0 || bytes.length > length) throw new DownloadRefused(`chunk at ${offset} has ${bytes.length} bytes, asked for ${length}`);
      await sink.write(bytes);
      this.options.onProgress(sink.received);
    }
  }

  private awaitChunk(offset: number): Promise<Buffer | null> {
    const { signal } = this.options;
    return new Promise<Buffer | null>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.pending = null;
      };
      const onAbort = () => {
        settle();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        settle();
        resolve(null);
      }, this.options.chunkTimeoutMs ?? 5_000);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending = {
        offset,
        resolve: (bytes) => (settle(), resolve(bytes)),
        reject: (error) => (settle(), reject(error)),
      };
    });
  }
}
