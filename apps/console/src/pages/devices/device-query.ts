import type { operations } from '@edgefleet/api-client';
import { api, must, type components } from '../../api/client';
import type { DeviceFilter } from '../../components/DeviceFilters';

export type Device = components['schemas']['DeviceDto'];
type ListQuery = NonNullable<operations['DeviceController_list']['parameters']['query']>;

export function listQuery(filter: DeviceFilter): ListQuery {
  return { ...filter, status: filter.status as ListQuery['status'] };
}

export async function devicePage(filter: DeviceFilter, cursor: string | undefined, limit: number) {
  return must(api.GET('/api/v1/devices', { params: { query: { ...listQuery(filter), cursor, limit } } }));
}

export async function deviceCount(filter: DeviceFilter): Promise<number> {
  return (await must(api.GET('/api/v1/devices/count', { params: { query: listQuery(filter) } }))).total;
}

/**
 * Every device matching a filter, a page of 1,000 at a time: bulk actions apply to "all N
 * matching", not only the page on screen. Ids are collected first, so an action that changes
 * membership (decommission) cannot shift the pages under it.
 */
export async function allMatchingIds(filter: DeviceFilter, onProgress: (seen: number) => void): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await devicePage(filter, cursor, 1000);
    ids.push(...page.items.map((d) => d.id));
    onProgress(ids.length);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

/** Runs `action` over ids, a few at a time; failures are counted and reported, the rest go on. */
export async function forEachLimited(ids: string[], concurrency: number, action: (id: string) => Promise<void>, onProgress: (done: number, failed: string[]) => void): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        await action(id);
      } catch {
        failed.push(id);
      }
      onProgress(++done, failed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return failed;
}
