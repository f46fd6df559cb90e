import type { RolloutView } from '../fleet-api';

const IN_FLIGHT = ['notified', 'accepted', 'downloading', 'installing', 'rebooting'] as const;
const UNSUCCESSFUL = ['failed', 'rejected', 'timed_out', 'cancelled'] as const;
export const FINAL_ROLLOUT_STATES = ['completed', 'aborted', 'cancelled', 'reverted'];

function sum(counts: Record<string, number> | undefined, keys: readonly string[]): number {
  return keys.reduce((total, key) => total + (counts?.[key] ?? 0), 0);
}

/**
 * One terminal line for a rollout:
 * `wave 2/3 [██████████░░░░░░░░░░] 48%  480/1000 succeeded · 120 in flight · 2 failed · 21s`.
 * The bar fills with devices that finished (succeeded or not), so it reaches the end exactly
 * when the rollout has nothing left to do.
 */
export function rolloutProgressLine(rollout: RolloutView, elapsedSeconds: number, width = 30): string {
  const total = rollout.targetCount ?? 0;
  const succeeded = rollout.counts?.succeeded ?? 0;
  const unsuccessful = sum(rollout.counts, UNSUCCESSFUL);
  const done = Math.min(total, succeeded + unsuccessful);
  const fraction = total > 0 ? done / total : 0;
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const waves = rollout.waves?.length ?? 0;
  const wave = waves ? `wave ${Math.min(waves, (rollout.currentWave ?? 0) + 1)}/${waves}` : rollout.state;
  const parts = [`${succeeded}/${total} succeeded`, `${sum(rollout.counts, IN_FLIGHT)} in flight`];
  if (unsuccessful) parts.push(`${unsuccessful} failed`);
  if (rollout.counts?.pending_offline) parts.push(`${rollout.counts.pending_offline} offline`);
  return `${wave} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${parts.join(' · ')} · ${Math.round(elapsedSeconds)}s`;
}
