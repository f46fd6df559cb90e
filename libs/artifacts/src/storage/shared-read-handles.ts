import { type FileHandle, open } from 'node:fs/promises';

/** A handle nobody used for this long is closed. */
const IDLE_CLOSE_MS = 10_000;

interface Entry {
  handle: Promise<FileHandle>;
  users: number;
  idle?: NodeJS.Timeout;
}

/**
 * Read handles shared by everyone reading the same file. An MQTT chunk download is hundreds
 * of small reads of one blob, and opening and closing the file for each of them cost about a
 * tenth of the server's CPU while 200 devices downloaded. Blobs are content-addressed and
 * never change, so one handle per blob serves every reader until it has been idle a while
 * (or the blob is removed).
 */
export class SharedReadHandles {
  private readonly entries = new Map<string, Entry>();

  /** Runs `read` with the file's shared handle; rejects like `open` when the file cannot be opened. */
  async use<T>(path: string, read: (handle: FileHandle) => Promise<T>): Promise<T> {
    const entry = this.acquire(path);
    try {
      return await read(await entry.handle);
    } finally {
      this.release(path, entry);
    }
  }

  /** Closes the file's handle once its current readers are done (the file is going away). */
  async forget(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    clearTimeout(entry.idle);
    if (entry.users === 0) await close(entry);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((path) => this.forget(path)));
  }

  private acquire(path: string): Entry {
    let entry = this.entries.get(path);
    if (!entry) {
      const created: Entry = { handle: open(path, 'r'), users: 0 };
      // A file that could not be opened is not remembered: the next reader tries again.
      created.handle.catch(() => this.entries.get(path) === created && this.entries.delete(path));
      this.entries.set(path, created);
      entry = created;
    }
    clearTimeout(entry.idle);
    entry.idle = undefined;
    entry.users++;
    return entry;
  }

  private release(path: string, entry: Entry): void {
    entry.users--;
    if (entry.users > 0) return;
    if (this.entries.get(path) !== entry) {
      void close(entry); // forgotten while in use: the last reader closes it
      return;
    }
    entry.idle = setTimeout(() => {
      if (this.entries.get(path) === entry && entry.users === 0) {
        this.entries.delete(path);
        void close(entry);
      }
    }, IDLE_CLOSE_MS);
    entry.idle.unref();
  }
}

async function close(entry: Entry): Promise<void> {
  const handle = await entry.handle.catch(() => undefined);
  await handle?.close().catch(() => undefined);
}
