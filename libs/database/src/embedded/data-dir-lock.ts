import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
 * start time, made atomically (link); a file whose owner is gone (kill -9 leaves it) or whose pid now
 * names another process (recycled after a reboot or in a new container) is stale and taken over.
 */
export class DataDirLock {
  private held = false;

  constructor(readonly file: string) {}

  acquire(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.tryCreate(this.file)) return;
      const owner = readOwner(this.file);
      if (owner && isAlive(owner)) throw new DataDirLockedError(this.file, owner.pid);
      this.takeOverStale();
    }
    throw new Error(`could not take ${this.file}: another process keeps replacing it`);
  }

  /**
   * Two starters can both find the lock stale; only the one that also creates `{file}.takeover`
   * may remove it, after looking again, so neither removes a lock the other just made.
   * A takeover file whose maker is gone (it crashed in these few lines) is removed first.
   */
  private takeOverStale(): void {
    const guard = `${this.file}.takeover`;
    if (!this.tryCreate(guard, false)) {
      const holder = readOwner(guard);
      if (holder && isAlive(holder)) return;
      removeIfPresent(guard);
      return;
    }
    try {
      const owner = readOwner(this.file);
      if (!owner || !isAlive(owner)) removeIfPresent(this.file);
    } finally {
      removeIfPresent(guard);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readOwner(this.file)?.pid === process.pid) unlinkSync(this.file);
  }

  /** Written whole under a temporary name, then hard-linked into place: the file never exists half-written, and link fails if it exists. */
  private tryCreate(file: string, holds = true): boolean {
    const temporary = `${file}.${process.pid}.tmp`;
    const owner: LockOwner = { pid: process.pid, startTime: probeProcess(process.pid)?.startTime };
    writeFileSync(temporary, `${JSON.stringify(owner)}\n`, { mode: 0o644 });
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      removeIfPresent(temporary);
    }
    if (holds) this.held = true;
    return true;
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    // missing, or torn by a crash while it was written: no live owner can be named
    return undefined;
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function isAlive(owner: LockOwner): boolean {
  const info = probeProcess(owner.pid);
  if (!info) return false;
  return owner.startTime === undefined || info.startTime === undefined || info.startTime === owner.startTime;
}
