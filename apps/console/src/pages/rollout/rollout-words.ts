import type { components } from '../../api/client';

export type Rollout = components['schemas']['RolloutDto'];
type Counts = components['schemas']['StatusCountsDto'];

export const IN_FLIGHT = ['notified', 'accepted', 'downloading', 'installing', 'rebooting'] as const;
export const FAILED = ['failed', 'rejected', 'timed_out'] as const;

export function segments(counts: Counts) {
  return {
    succeeded: counts.succeeded,
    failed: FAILED.reduce((n, s) => n + counts[s], 0),
    inflight: IN_FLIGHT.reduce((n, s) => n + counts[s], 0),
    pending: counts.queued + counts.cancelled,
    offline: counts.pending_offline,
  };
}

const pct = (n: number) => `${Math.round(n * 10) / 10} %`;

/** The rollout's state said in words, e.g. "wave 2 of 4, waiting for 37 devices". */
export function stateInWords(r: Rollout): string {
  const waves = r.waves.length;
  const wave = r.waves[r.currentWave];
  const s = wave ? segments(wave.counts) : null;
  switch (r.state) {
    case 'scheduled':
      return r.schedule.startAt ? `scheduled to start ${new Date(r.schedule.startAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'scheduled';
    case 'running': {
      if (r.window && !r.window.open) {
        return `waiting for its maintenance window${r.window.nextOpenAt ? `, which opens ${new Date(r.window.nextOpenAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`;
      }
      const waiting = s ? s.inflight + s.pending + s.offline : 0;
      return `wave ${r.currentWave + 1} of ${waves}, waiting for ${waiting} device${waiting === 1 ? '' : 's'}${s && s.offline ? ` (${s.offline} offline)` : ''}`;
    }
    case 'paused':
      return `paused in wave ${r.currentWave + 1} of ${waves}`;
    case 'completed':
      return `completed: ${r.counts.succeeded} of ${r.targetCount} succeeded`;
    case 'aborted': {
      const failed = segments(r.counts).failed;
      const settled = failed + r.counts.succeeded;
      const threshold = r.strategy.failureThreshold?.percent;
      return `aborted: ${settled ? pct((failed / settled) * 100) : '0 %'} failed${threshold !== undefined ? ` > ${threshold} %` : ''}${r.reason ? ` (${r.reason})` : ''}`;
    }
    case 'cancelled':
      return `cancelled${r.reason ? `: ${r.reason}` : ''}`;
    default:
      return `${r.state}${r.reason ? `: ${r.reason}` : ''}`;
  }
}
