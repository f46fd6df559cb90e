import type { ApiKey } from '../src/api-key';
import { ApiKeyCache } from '../src/api-key.cache';
import type { ApiKeyRepository } from '../src/api-key.repository';

describe('ApiKeyCache', () => {
  const key = { id: 'key-1', name: 'ci', role: 'operator' } as ApiKey;
  let cache: ApiKeyCache;
  beforeEach(() => (cache = new ApiKeyCache({ touch: async () => undefined } as unknown as ApiKeyRepository)));
  afterEach(() => cache.onModuleDestroy());

  it('keeps a good key cached through a flood of 50,000 unknown tokens', async () => {
    const loads: string[] = [];
    const load = async (hash: string) => {
      loads.push(hash);
      return hash === 'good' ? key : null;
    };
    expect(await cache.resolve('good', load)).toBe(key);
    for (let i = 0; i < 50_000; i++) expect(await cache.resolve(`bad-${i}`, load)).toBeNull();
    expect(await cache.resolve('good', load)).toBe(key);
    expect(loads.filter((hash) => hash === 'good')).toHaveLength(1);
  });

  it('remembers an unknown token for a while, without a second lookup', async () => {
    let loads = 0;
    const load = async () => (loads++, null);
    await cache.resolve('bad', load);
    await cache.resolve('bad', load);
    expect(loads).toBe(1);
  });
});
