import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLock, DataDirLockedError } from '../src/embedded/data-dir-lock';

describe('data folder lock (pid + start time in a file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-lock-'));
  const file = join(dir, 'postgres.lock');
  afterEach(() => rmSync(file, { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive while its owner lives, and released by it', () => {
    const first = new DataDirLock(file);
    first.acquire();
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    expect(() => new DataDirLock(file).acquire()).toThrow(DataDirLockedError);
    first.release();
    expect(readdirSync(dir)).toEqual([]);
    new DataDirLock(file).acquire();
  });

  it('takes over a lock whose owner is gone, or whose pid now names another process', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(file, JSON.stringify({ pid: Number(dead.stdout) }));
    new DataDirLock(file).acquire();
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);

    // This very pid, but a process that started at another time: recycled, not the owner.
    writeFileSync(file, JSON.stringify({ pid: process.pid, startTime: '1' }));
    new DataDirLock(file).acquire();
    expect(JSON.parse(readFileSync(file, 'utf8')).startTime).not.toBe('1');
    expect(readdirSync(dir)).toEqual(['postgres.lock']);
  });
});
