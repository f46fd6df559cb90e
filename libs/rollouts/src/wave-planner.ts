/** A device as the planner sees it: what it is, where it belongs. */
export interface PlanTarget {
  deviceId: string;
  type: string;
  tags: string[];
  groupIds: string[];
}

export interface PlannedJob {
  deviceId: string;
  /** 0-based wave index. */
  wave: number;
  /** Dispatch order across the whole rollout. */
  position: number;
}

/**
 * Number of targets in waves 0..i together, from cumulative percentages. Rounded up so a
 * small first wave (1% of 20 devices) still has a device; later waves never shrink.
 */
export function cumulativeWaveEnds(total: number, waves: readonly number[]): number[] {
  let previous = 0;
  return waves.map((percent) => {
    previous = Math.min(total, Math.max(previous, Math.ceil((percent * total) / 100 - 1e-9)));
    return previous;
  });
}

/**
 * Deterministic wave membership that spreads over device types, groups and tags.
 *
 * Targets are sorted into strata (type, then groups, then tags) with a per-rollout hash
 * breaking ties, and then taken in bit-reversed (van der Corput) order of that list: every
 * prefix of that order samples the sorted list evenly, so each wave holds its share of
 * every stratum at every level instead of the first N devices by id. Same rollout id and
 * targets, same plan.
 */
export function planWaves(rolloutId: string, targets: readonly PlanTarget[], waves: readonly number[]): PlannedJob[] {
  const sorted = targets
    .map((target) => ({ target, key: stratumKey(target), hash: fnv1a(`${rolloutId}\n${target.deviceId}`) }))
    .sort((a, b) => compare(a.key, b.key) || a.hash - b.hash || compare(a.target.deviceId, b.target.deviceId));
  const order = spreadOrder(sorted.length);
  const ends = cumulativeWaveEnds(sorted.length, waves);
  let wave = 0;
  return order.map((index, position) => {
    while (position >= ends[wave]) wave++;
    return { deviceId: sorted[index].target.deviceId, wave, position };
  });
}

/**
 * Indices 0..n-1 in bit-reversal order of their place in [0, 1): every prefix of length m
 * is spread over the whole list with gaps of about n/m. Scaling to 2^bits buckets (one
 * index each, as 2^bits ≥ n) keeps that true when n is not a power of two.
 */
export function spreadOrder(n: number): number[] {
  if (n === 0) return [];
  const bits = Math.max(1, Math.ceil(Math.log2(n)));
  const scale = 2 ** bits / n;
  const keyed = Array.from({ length: n }, (_, index) => ({ index, key: reverseBits(Math.floor(index * scale), bits) }));
  return keyed.sort((a, b) => a.key - b.key).map((entry) => entry.index);
}

function reverseBits(value: number, bits: number): number {
  let result = 0;
  for (let i = 0; i < bits; i++) result = (result << 1) | ((value >> i) & 1);
  return result;
}

function stratumKey(target: PlanTarget): string {
  return `${target.type}\u0000${[...target.groupIds].sort().join(',')}\u0000${[...target.tags].sort().join(',')}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 32-bit FNV-1a: cheap, stable across runs and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
