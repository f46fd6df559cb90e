import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDescriptors } from '../../../test/support/open-descriptors';
import { scratchDir } from '../../../test/support/scratch-dir';
import { SharedReadHandles } from '../src/storage/shared-read-handles';

describe('SharedReadHandles (real files)', () => {
  const dir = scratchDir('edgefleet-read-handles-');
  const path = join(dir, 'blob');
  const content = randomBytes(64 * 1024);
  const handles = new SharedReadHandles();
  const readAt = (offset: number) =>
    handles.use(path, async (handle) => {
      const buffer = Buffer.alloc(16);
      await handle.read(buffer, 0, 16, offset);
      return buffer;
    });

  beforeAll(() => writeFileSync(path, content));
  afterAll(async () => {
    await handles.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves concurrent and later readers of a file from one descriptor', async () => {
    const offsets = Array.from({ length: 50 }, (_, i) => i * 1000);
    const chunks = await Promise.all(offsets.map(readAt));
    chunks.forEach((chunk, i) => expect(chunk.equals(content.subarray(offsets[i], offsets[i] + 16))).toBe(true));
    expect(openDescriptors(path)).toBe(1);
    await readAt(0);
    expect(openDescriptors(path)).toBe(1);
  });

  it('closes the descriptor when the file is forgotten, and reopens it for the next reader', async () => {
    await readAt(0);
    await handles.forget(path);
    expect(openDescriptors(path)).toBe(0);
    expect((await readAt(100)).equals(content.subarray(100, 116))).toBe(true);
    expect(openDescriptors(path)).toBe(1);
  });

  it('closes a handle forgotten while in use once its reader is done', async () => {
    let finishRead!: () => void;
    const reading = handles.use(path, () => new Promise<void>((resolve) => (finishRead = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    await handles.forget(path);
    expect(openDescriptors(path)).toBe(1);
    finishRead();
    await reading;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(openDescriptors(path)).toBe(0);
  });

  it('does not remember a file that could not be opened', async () => {
    const missing = join(dir, 'missing');
    await expect(handles.use(missing, async () => 'never')).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(missing, 'now here');
    await expect(handles.use(missing, async (handle) => (await handle.readFile()).toString())).resolves.toBe('now here');
  });
});
