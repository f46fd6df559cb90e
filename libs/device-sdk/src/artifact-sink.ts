import { type Hash, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Where downloaded bytes go; it hashes as it writes, so nothing is read twice. */
export interface ArtifactSink {
  /** Bytes held so far: where a resumed download continues. */
  readonly received: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Drops what was received (the server ignored a `Range` request and sent everything). */
  restart(): Promise<void>;
  /** SHA-256 (lowercase hex) of everything written. Call once, at the end. */
  digest(): string;
  /** The finished artifact for the install hook. */
  result(): Promise<DownloadedArtifact>;
  /** Stops writing but keeps what was received, for a later resume. */
  close(): Promise<void>;
  /** Drops what was received (it failed verification). */
  discard(): Promise<void>;
}

/** The bytes handed to the install hook: in memory, in a file, or neither (`discard` storage). */
export interface DownloadedArtifact {
  data?: Buffer;
  path?: string;
}

/**
 * How a device keeps firmware while it downloads: `memory` (the default; small images),
 * `{ dir }` (a file `{dir}/{artifactId}.bin`, resumable across restarts from `.part`), or
 * `discard` (hash only; simulators that must not hold 20,000 copies).
 */
export type ArtifactStorage = 'memory' | 'discard' | { dir: string };

export async function openArtifactSink(storage: ArtifactStorage, artifactId: string): Promise<ArtifactSink> {
  if (storage === 'memory') return new MemorySink(true);
  if (storage === 'discard') return new MemorySink(false);
  return FileSink.open(storage.dir, artifactId);
}

class MemorySink implements ArtifactSink {
  private chunks: Buffer[] = [];
  private hash: Hash = createHash('sha256');
  received = 0;

  constructor(private readonly keep: boolean) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    if (this.keep) this.chunks.push(Buffer.from(chunk));
    this.received += chunk.byteLength;
  }

  async restart(): Promise<void> {
    this.chunks = [];
    this.hash = createHash('sha256');
    this.received = 0;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  async result(): Promise<DownloadedArtifact> {
    return this.keep ? { data: Buffer.concat(this.chunks) } : {};
  }

  async close(): Promise<void> {}

  async discard(): Promise<void> {
    this.chunks = [];
  }
}

class FileSink implements ArtifactSink {
  private constructor(
    private readonly partPath: string,
    private readonly finalPath: string,
    private file: FileHandle,
    private hash: Hash,
    public received: number,
  ) {}

  /** Continues a `.part` file left by an earlier run: its bytes are hashed again, not downloaded again. */
  static async open(dir: string, artifactId: string): Promise<FileSink> {
    await mkdir(dir, { recursive: true });
    const partPath = join(dir, `${artifactId}.part`);
    const hash = createHash('sha256');
    const existing = await stat(partPath).catch(() => null);
    if (existing) for await (const chunk of createReadStream(partPath)) hash.update(chunk as Buffer);
    const file = await open(partPath, 'a');
    return new FileSink(partPath, join(dir, `${artifactId}.bin`), file, hash, existing?.size ?? 0);
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.file.write(chunk);
    this.hash.update(chunk);
    this.received += chunk.byteLength;
  }

  async restart(): Promise<void> {
    await this.file.truncate(0);
    this.hash = createHash('sha256');
    this.received = 0;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  async result(): Promise<DownloadedArtifact> {
    await this.file.close();
    await rename(this.partPath, this.finalPath);
    return { path: this.finalPath };
  }

  async close(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.partPath, { force: true });
  }
}
