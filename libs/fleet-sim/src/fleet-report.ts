import { DEVICE_REPORTED_JOB_STATUSES } from '@edgefleet/contracts';
import type { FleetStats } from './fleet';
import type { ProcessUsage } from './process-usage';

function jobsText(stats: FleetStats): string {
  const parts = DEVICE_REPORTED_JOB_STATUSES.filter((status) => stats.jobs[status]).map((status) => `${status} ${stats.jobs[status]}`);
  return parts.length ? parts.join(' ') : 'none';
}

/** One line, rewritten in place on a terminal: `12s online 4980/5000 · jobs: downloading 200 … · cpu 35% rss 420 MiB`. */
export function progressLine(stats: FleetStats, usage: ProcessUsage, elapsedSeconds: number): string {
  const { cpuPercent, rssMiB } = usage.sample();
  const refused = stats.refused ? ` refused ${stats.refused}` : '';
  return `${Math.round(elapsedSeconds)}s online ${stats.online}/${stats.devices}${refused} · jobs: ${jobsText(stats)} · cpu ${cpuPercent.toFixed(0)}% rss ${rssMiB.toFixed(0)} MiB`;
}

export function summary(stats: FleetStats, usage: ProcessUsage): string {
  const totals = usage.totals();
  const firmware = Object.entries(stats.firmware)
    .sort(([, a], [, b]) => b - a)
    .map(([version, count]) => `${version} ×${count}`)
    .join(', ');
  return [
    'simulator summary',
    `  devices      ${stats.devices} (online at the end ${stats.online}, refused ${stats.refused})`,
    `  jobs         ${jobsText(stats)} (last status per device)`,
    `  firmware     ${firmware}`,
    `  reconnects   ${stats.reconnects} (churned ${stats.churned})`,
    `  faults       crash loop ${stats.faults.crashLoop}, dark ${stats.faults.dark}, rolled back ${stats.faults.rollback} (devices, after an update)`,
    `  duration     ${totals.wallSeconds.toFixed(1)} s`,
    `  own cpu      ${totals.cpuSeconds.toFixed(1)} s (${totals.cpuPercent.toFixed(0)}% of one core on average)`,
    `  own memory   peak RSS ${totals.peakRssMiB.toFixed(0)} MiB (${((totals.peakRssMiB * 1024) / Math.max(1, stats.devices)).toFixed(1)} KiB per device)`,
  ].join('\n');
}
