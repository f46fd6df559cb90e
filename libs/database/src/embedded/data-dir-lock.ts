import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { probeProcess } from './process-probe';

/** Another live EdgeFleet process runs the embedded Postgres of this data folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly ownerPid: number,
  ) {
    super(`${lockFile} is held by EdgeFleet process ${ownerPid}, which is running; stop it first or choose another FLEET_DATA_DIR`);
  }
}

interface LockOwner {
  pid: number;
  startTime?: string;
}

/**
 * An exclusive claim on one embedded Postgres cluster, as a file holding the owner's pid and
 * start time. Created with O_EXCL; a file whose owner is gone (kill -9 leaves it) or whose pid now
 * names another process (recycled after a reboot or in a new container) is stale and taken over.
 */
export class DataDirLock {
  private held = false;

  constructor(readonly file: string) {}

  acquire(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.tryCreate()) return;
      const owner = this.readOwner();
      if (owner && isAlive(owner)) throw new DataDirLockedError(this.file, owner.pid);
      // Stale: the next O_EXCL create decides between two starters that both saw it so.
      try {
        unlinkSync(this.file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`could not take ${this.file}: another process keeps replacing it`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.readOwner()?.pid === process.pid) unlinkSync(this.file);
  }

  private tryCreate(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      const owner: LockOwner = { pid: process.pid, startTime: probeProcess(process.pid)?.startTime };
      writeSync(fd, `${JSON.stringify(owner)}\n`);
    } finally {
      closeSync(fd);
    }
    this.held = true;
    return true;
  }

  private readOwner(): LockOwner | undefined {
    try {
      const owner = JSON.parse(readFileSync(this.file, 'utf8')) as LockOwner;
      return Number.isInteger(owner.pid) ? owner : undefined;
    } catch {
      // missing, or torn by a crash while it was written: no live owner can be named
      return undefined;
    }
  }
}

function isAlive(owner: LockOwner): boolean {
  const info = probeProcess(owner.pid);
  if (!info) return false;
  return owner.startTime === undefined || info.startTime === undefined || info.startTime === owner.startTime;
}
