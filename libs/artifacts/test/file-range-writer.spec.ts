import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Server, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openDescriptors } from '../../../test/support/open-descriptors';
import { scratchDir } from '../../../test/support/scratch-dir';
import { writeFileRange } from '../src/http/file-range-writer';

const KIB = 1024;

describe('writeFileRange (real file, real HTTP server)', () => {
  const dir = scratchDir('edgefleet-range-writer-');
  const path = join(dir, 'blob.bin');
  // Not a multiple of the 256 KiB chunk, so the last chunk is short.
  const content = randomBytes(3 * 1024 * KIB + 777);
  let server: Server;
  let origin: string;
  const served: Array<Promise<unknown>> = [];

  beforeAll(async () => {
    writeFileSync(path, content);
    server = createServer((request, response) => {
      const [start, end] = (request.url ?? '').slice(1).split('-').map(Number);
      response.writeHead(200, { 'content-length': end - start + 1 });
      served.push(open(path, 'r').then((file) => writeFileRange(file, response, start, end).catch((error: Error) => error)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function fetchRange(start: number, end: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      get(`${origin}/${start}-${end}`, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve(Buffer.concat(parts)));
        response.on('error', reject);
      }).on('error', reject);
    });
  }

  it('sends exactly the asked bytes to many concurrent readers sharing the buffer pool', async () => {
    const ranges = Array.from({ length: 40 }, (_, i) => {
      const start = (i * 65_537) % Math.floor(content.length / 2);
      return [start, content.length - 1 - ((i * 31) % 1000)] as const;
    });
    const bodies = await Promise.all(ranges.map(([start, end]) => fetchRange(start, end)));
    bodies.forEach((body, i) => expect(body.equals(content.subarray(ranges[i][0], ranges[i][1] + 1))).toBe(true));
    expect((await fetchRange(5, 5)).equals(content.subarray(5, 6))).toBe(true);
    // The client can have the last byte before the server has closed the file.
    expect(await Promise.all(served)).toEqual(served.map(() => undefined));
    expect(openDescriptors(path)).toBe(0);
  });

  it('stops and closes the file when the client goes away mid-download', async () => {
    // Larger than what loopback socket buffers can hold, so the server is still writing.
    writeFileSync(path, Buffer.concat([content, randomBytes(40 * 1024 * KIB)]));
    served.length = 0;
    await new Promise<void>((resolve) => {
      const request = get(`${origin}/0-${content.length + 40 * 1024 * KIB - 1}`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => undefined);
    });
    const outcome = await served[0];
    expect(String(outcome)).toMatch(/Error/);
    expect(openDescriptors(path)).toBe(0);
  });
});
