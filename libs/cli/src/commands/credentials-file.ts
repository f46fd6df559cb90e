import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { CliError } from '../cli-error';

/**
 * Where imported devices' passwords go: the API shows each only once, so this file is their
 * only copy. Created new (never over an older file), mode 0600, and written after every batch
 * so that whatever the server has acknowledged is on disk before the next batch is sent.
 * CSV `id,username,password`, or JSON lines when the name ends in `.jsonl`.
 */
export class CredentialsFile {
  private readonly fd: number;
  private readonly json: boolean;
  private written = 0;

  constructor(readonly path: string) {
    this.json = /\.(jsonl|ndjson)$/i.test(path);
    try {
      this.fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw CliError.usage(code === 'EEXIST' ? `${path} exists: it may hold the only copy of other passwords; choose another --credentials file` : `cannot create ${path}: ${(error as Error).message}`);
    }
    if (!this.json) writeSync(this.fd, 'id,username,password\n');
  }

  write(devices: Array<{ id: string; credentials: { username: string; password: string } }>): void {
    if (!devices.length) return;
    const lines = devices.map((d) =>
      this.json ? JSON.stringify({ id: d.id, username: d.credentials.username, password: d.credentials.password }) : `${csv(d.id)},${csv(d.credentials.username)},${csv(d.credentials.password)}`,
    );
    writeSync(this.fd, `${lines.join('\n')}\n`);
    this.written += devices.length;
  }

  /** Closes the file; one that holds no password is removed, so a failed start leaves nothing behind. */
  close(): void {
    closeSync(this.fd);
    if (this.written === 0) rmSync(this.path, { force: true });
  }
}

function csv(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
