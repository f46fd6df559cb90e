import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '@edgefleet/common';
import { DATABASE_PROCESS, type DatabaseProcess } from '@edgefleet/database';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { SharedReadHandles } from './shared-read-handles';

/** Bytes written to a temporary file and hashed on the way; not yet visible as content. */
export interface StagedContent {
  tempPath: string;
  sha256: string;
  size: number;
}

/**
 * With a data folder shared by cluster nodes, a partial upload not written to for this long
 * belongs to no live upload (a crash or restart left it): a live one writes as its bytes arrive.
 */
const STALE_TEMP_MS = 15 * 60 * 1000;

/**
 * Artifact bytes on disk, content-addressed by SHA-256 under `$FLEET_DATA_DIR/artifacts/blobs`:
 * the same bytes are stored once however many artifacts name them. Uploads stream into
 * `artifacts/tmp` and are renamed into place only when complete, so a broken upload never
 * becomes content.
 */
@Injectable()
export class ArtifactContentStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Artifacts');
  private readonly tempDir: string;
  private readonly blobDir: string;
  private readonly readHandles = new SharedReadHandles();

  constructor(
    @Inject(ARTIFACTS_OPTIONS) options: ArtifactsOptions,
    /** Present when this server runs the embedded Postgres: it then holds the data folder's lock, and no other process uploads into it. */
    @Optional() @Inject(DATABASE_PROCESS) private readonly ownDataDir?: DatabaseProcess | null,
  ) {
    this.tempDir = join(options.dataDir, 'artifacts', 'tmp');
    this.blobDir = join(options.dataDir, 'artifacts', 'blobs');
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    await mkdir(this.blobDir, { recursive: true });
    await this.removeStaleTempFiles();
  }

  async onModuleDestroy(): Promise<void> {
    await this.readHandles.closeAll();
  }

  /** Streams `source` to a temporary file while hashing it; fails with 413 past `maxBytes` and leaves nothing behind on any failure. */
  async stage(source: Readable, maxBytes: number): Promise<StagedContent> {
    const tempPath = join(this.tempDir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new DomainError(DomainErrorCode.TooLarge, `file: larger than the limit of ${maxBytes} bytes`, 'file'));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // `flush`: fsync before close, so the bytes are durable before they are renamed into place and recorded.
    const target = createWriteStream(tempPath, { flags: 'wx', mode: 0o644, flush: true, highWaterMark: 1024 * 1024 });
    try {
      await pipeline(source, meter, target);
    } catch (error) {
      await rm(tempPath, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new DomainError(DomainErrorCode.InsufficientStorage, `the server's disk is full: no room for the upload under ${this.tempDir}; free space there, then upload again`);
      }
      throw error;
    }
    return { tempPath, sha256: hash.digest('hex'), size };
  }

  /**
   * Makes staged bytes the content for their hash. Returns true when this call created the
   * content file, false when the same bytes were already stored (the staged copy is dropped).
   * Callers serialise per hash (see ArtifactRepository.lockContent).
   */
  async place(staged: StagedContent): Promise<boolean> {
    const target = this.pathOf(staged.sha256);
    if (await exists(target)) {
      await this.discard(staged);
      return false;
    }
    await mkdir(join(this.blobDir, staged.sha256.slice(0, 2)), { recursive: true });
    await rename(staged.tempPath, target);
    return true;
  }

  async discard(staged: StagedContent): Promise<void> {
    await rm(staged.tempPath, { force: true });
  }

  async remove(sha256: string): Promise<void> {
    await this.readHandles.forget(this.pathOf(sha256));
    await rm(this.pathOf(sha256), { force: true });
  }

  /** Opens the content for reading; the caller closes the handle (or a stream made from it does). */
  async open(sha256: string): Promise<FileHandle> {
    try {
      return await open(this.pathOf(sha256), 'r');
    } catch (error) {
      throw explainMissing(error, sha256, this.blobDir);
    }
  }

  /** Up to `length` bytes from `offset` (through a handle shared by all readers of the blob: chunk downloads read it hundreds of times). */
  async read(sha256: string, offset: number, length: number): Promise<Buffer> {
    try {
      return await this.readHandles.use(this.pathOf(sha256), async (handle) => {
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      });
    } catch (error) {
      throw explainMissing(error, sha256, this.blobDir);
    }
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`'${sha256}' is not a SHA-256 hex digest`);
    return join(this.blobDir, sha256.slice(0, 2), sha256);
  }

  /** Partial uploads cut short by a crash or restart: every one when the folder is ours alone, else those idle past STALE_TEMP_MS. */
  private async removeStaleTempFiles(): Promise<void> {
    const cutoff = this.ownDataDir ? Infinity : Date.now() - STALE_TEMP_MS;
    let removed = 0;
    for (const name of await readdir(this.tempDir)) {
      if (!name.endsWith('.part')) continue;
      const path = join(this.tempDir, name);
      const info = await stat(path).catch(() => null);
      if (info && info.mtimeMs < cutoff) {
        await rm(path, { force: true });
        removed++;
      }
    }
    if (removed) this.logger.warn(`removed ${removed} partial upload(s) left by an earlier run`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function explainMissing(error: unknown, sha256: string, blobDir: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`artifact content ${sha256} is missing from ${blobDir}`) : error;
}
