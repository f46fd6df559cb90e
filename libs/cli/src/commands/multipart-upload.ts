import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CliError } from '../cli-error';

/**
 * A multipart/form-data body (RFC 7578) streamed from disk: the text fields first (the server
 * checks them before it stores a byte of the file), then the file, read as it is sent so that
 * `onProgress` counts the bytes that really left. With its exact length, so no chunked encoding.
 */
export function multipartBody(fields: Record<string, string>, file: string, onProgress: (sent: number, total: number) => void): { body: ReadableStream<Uint8Array>; headers: Record<string, string>; size: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  const boundary = `----edgefleet${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${basename(file).replace(/["\r\n]/g, '_')}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let sent = 0;
  const chunks = (async function* () {
    yield head;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      onProgress(sent, size);
      yield chunk;
    }
    yield tail;
  })();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return { body, size, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) } };
}
