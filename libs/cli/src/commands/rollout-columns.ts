import type { components } from '@edgefleet/api-client';
import { FAILED_JOB_STATUSES, IN_FLIGHT_JOB_STATUSES } from '@edgefleet/contracts';
import type { Column } from '../output/output';
import { bar } from '../output/progress-bar';

export type Rollout = components['schemas']['RolloutDto'];
type Counts = components['schemas']['StatusCountsDto'];
type Wave = components['schemas']['WaveProgressDto'];

function sum(counts: Partial<Counts> | undefined, keys: readonly string[]): number {
  return keys.reduce((total, key) => total + ((counts as Record<string, number> | undefined)?.[key] ?? 0), 0);
}

export const failedCount = (counts: Partial<Counts> | undefined) => sum(counts, FAILED_JOB_STATUSES);
export const inFlightCount = (counts: Partial<Counts> | undefined) => sum(counts, IN_FLIGHT_JOB_STATUSES);

export const ROLLOUT_COLUMNS: Column<Rollout>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name },
  { header: 'TYPE', value: (r) => r.type },
  { header: 'STATE', value: (r) => r.state },
  { header: 'WAVE', value: (r) => (r.waves?.length ? `${Math.min(r.waves.length, r.currentWave + 1)}/${r.waves.length}` : '-') },
  { header: 'SUCCEEDED', value: (r) => `${r.counts?.succeeded ?? 0}/${r.targetCount}` },
  { header: 'FAILED', value: (r) => failedCount(r.counts) },
  { header: 'IN FLIGHT', value: (r) => inFlightCount(r.counts), wide: true },
  { header: 'ARTIFACT', value: (r) => r.artifactVersion ?? r.artifactId, wide: true },
  { header: 'REASON', value: (r) => r.reason, wide: true },
  { header: 'CREATED', value: (r) => r.createdAt },
];

/** `wave 2 (50%)  [██████░░░░]  60%  6/10 succeeded · 2 in flight · 1 failed`: finished devices fill the bar. */
export function waveLine(wave: Wave, current: boolean): string {
  const succeeded = wave.counts?.succeeded ?? 0;
  const failed = failedCount(wave.counts);
  const done = Math.min(wave.total, succeeded + failed + (wave.counts?.cancelled ?? 0));
  const fraction = wave.total ? done / wave.total : 0;
  const parts = [`${succeeded}/${wave.total} succeeded`, `${inFlightCount(wave.counts)} in flight`];
  if (failed) parts.push(`${failed} failed`);
  if (wave.counts?.pending_offline) parts.push(`${wave.counts.pending_offline} offline`);
  return `${current ? '>' : ' '} wave ${wave.wave + 1} (${wave.percent}%)`.padEnd(18) + ` ${bar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${parts.join(' · ')}`;
}
