import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeviceLogin } from './fleet-api';

interface StoredFleet {
  server: string;
  type: string;
  devices: DeviceLogin[];
}

/**
 * Simulated devices' credentials, kept in a local JSON file so the next run reuses the same
 * devices instead of registering thousands more. Passwords are shown once by the API, so
 * this file is the only copy: it is written with mode 0600.
 */
export class CredentialsStore {
  constructor(private readonly file: string) {}

  async load(server: string, type: string): Promise<DeviceLogin[]> {
    try {
      const stored = JSON.parse(await readFile(this.file, 'utf8')) as StoredFleet;
      return stored.server === server && stored.type === type && Array.isArray(stored.devices) ? stored.devices : [];
    } catch {
      return [];
    }
  }

  async save(server: string, type: string, devices: DeviceLogin[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    await writeFile(temporary, JSON.stringify({ server, type, devices } satisfies StoredFleet), { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
