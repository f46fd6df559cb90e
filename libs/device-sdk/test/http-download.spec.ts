import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Backoff, DownloadRefused, downloadOverHttp, openArtifactSink } from '@edgefleet/device-sdk';
import { scratchDir } from '../../../test/support/scratch-dir';

/** A file server that answers `Range` with 206 and can cut the first responses short, as a flaky network would. */
function flakyFileServer(bytes: Buffer, cutAfter: number[]) {
  const ranges: Array<string | undefined> = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    ranges.push(request.headers.range);
    const start = request.headers.range ? Number(/bytes=(\d+)-/.exec(request.headers.range)![1]) : 0;
    const body = bytes.subarray(start);
    response.writeHead(start ? 206 : 200, {
      'content-length': body.length,
      ...(start ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    const cut = cutAfter.shift();
    if (cut === undefined) return response.end(body);
    response.write(body.subarray(0, cut), () => setTimeout(() => request.socket.destroy(), 20));
  });
  return { server, ranges };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/fw.bin`;
}

describe('HTTP artifact download with Range resume', () => {
  const bytes = randomBytes(300_000);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const quick = () => new Backoff({ initialDelayMs: 5, maxDelayMs: 20, multiplier: 2 });
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('continues a cut download from the byte it stopped at, and the hash covers the whole file', async () => {
    const flaky = flakyFileServer(bytes, [100_000, 50_000]);
    server = flaky.server;
    const url = await listen(server);
    const sink = await openArtifactSink('memory', 'a1');
    const progress: number[] = [];
    await downloadOverHttp({ url, size: bytes.length, sink, signal: new AbortController().signal, onProgress: (n) => progress.push(n), backoff: quick() });
    expect(flaky.ranges).toEqual([undefined, 'bytes=100000-', 'bytes=150000-']);
    expect(sink.digest()).toBe(sha256);
    expect((await sink.result()).data!.equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it('resumes from a partial file left by an earlier run', async () => {
    const dir = scratchDir('sdk-download-');
    try {
      const first = flakyFileServer(bytes, [120_000]);
      server = first.server;
      const url = await listen(server);
      const sink = await openArtifactSink({ dir }, 'a2');
      const stop = new AbortController();
      const download = downloadOverHttp({ url, size: bytes.length, sink, signal: stop.signal, onProgress: (n) => n >= 120_000 && stop.abort(), backoff: quick() });
      await expect(download).rejects.toBeDefined();
      await sink.close();
      server.close();

      const second = flakyFileServer(bytes, []);
      server = second.server;
      const url2 = await listen(server);
      const resumed = await openArtifactSink({ dir }, 'a2');
      expect(resumed.received).toBe(120_000);
      await downloadOverHttp({ url: url2, size: bytes.length, sink: resumed, signal: new AbortController().signal, onProgress: () => undefined });
      expect(second.ranges).toEqual(['bytes=120000-']);
      expect(resumed.digest()).toBe(sha256);
      const { path } = await resumed.result();
      expect(path).toBe(join(dir, 'a2.bin'));
      expect(readFileSync(path!).equals(bytes)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up at once when the server refuses the URL', async () => {
    server = createServer((_request, response) => response.writeHead(403).end('expired'));
    const url = await listen(server);
    const sink = await openArtifactSink('discard', 'a3');
    await expect(downloadOverHttp({ url, size: 10, sink, signal: new AbortController().signal, onProgress: () => undefined })).rejects.toBeInstanceOf(
      DownloadRefused,
    );
  });

  it('refuses a body longer than the announced size', async () => {
    server = createServer((_request, response) => response.end(Buffer.alloc(64)));
    const url = await listen(server);
    const sink = await openArtifactSink('discard', 'a4');
    await expect(downloadOverHttp({ url, size: 10, sink, signal: new AbortController().signal, onProgress: () => undefined })).rejects.toThrow(
      /more than the announced 10 bytes/,
    );
  });
});
