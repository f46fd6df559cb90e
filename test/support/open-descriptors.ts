import { readdirSync, readlinkSync } from 'node:fs';

/** How many of this process's file descriptors point at `path` (Linux /proc). */
export function openDescriptors(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}
