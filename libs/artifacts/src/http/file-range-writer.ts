import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';

/** Large reads per syscall: downloads are big sequential files. */
const CHUNK_BYTES = 256 * 1024;
/** Free chunk buffers kept for the next downloads (8 MiB at most). */
const POOL_LIMIT = 32;
const pool: Buffer[] = [];

/**
 * Writes bytes `start..end` (inclusive) of an open file to a response, closing the file at the end.
 *
 * A file stream allocates a fresh buffer for every read, and at hundreds of concurrent
 * downloads that allocation and the garbage collection it drives cost the server as much CPU
 * as the copying itself. Here each download takes two buffers from a shared pool and cycles
 * them: one is read into while the other is being written, and a buffer is refilled only
 * after the socket has taken its previous contents.
 * Resolves when the last byte is handed to the socket; rejects if the client goes away.
 */
export async function writeFileRange(file: FileHandle, response: ServerResponse, start: number, end: number): Promise<void> {
  const buffers = [take(), take()];
  const writes: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  const gone = closed(response);
  try {
    let position = start;
    for (let turn = 0; position <= end; turn ^= 1) {
      await Promise.race([writes[turn], gone.promise]);
      const length = Math.min(CHUNK_BYTES, end - position + 1);
      const { bytesRead } = await file.read(buffers[turn], 0, length, position);
      if (bytesRead === 0) throw new Error(`file ended ${end - position + 1} bytes early`);
      writes[turn] = write(response, bytesRead === CHUNK_BYTES ? buffers[turn] : buffers[turn].subarray(0, bytesRead));
      position += bytesRead;
    }
    await Promise.race([Promise.all(writes), gone.promise]);
    response.end();
  } finally {
    gone.dispose();
    await file.close();
    // A buffer may still be queued in a socket that failed; only reuse both when all writes settled.
    void Promise.allSettled(writes).then(() => buffers.forEach(give));
  }
}

/** The socket's verdict on one chunk; a failure is seen by whoever awaits it, never unhandled. */
function write(response: ServerResponse, chunk: Buffer): Promise<void> {
  const written = new Promise<void>((resolve, reject) => response.write(chunk, (error) => (error ? reject(error) : resolve())));
  written.catch(() => undefined);
  return written;
}

function closed(response: ServerResponse): { promise: Promise<never>; dispose: () => void } {
  let onClose!: () => void;
  const promise = new Promise<never>((_, reject) => {
    onClose = () => reject(new Error('the client closed the connection'));
    response.once('close', onClose);
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => response.off('close', onClose) };
}

function take(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
}

function give(buffer: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
}
