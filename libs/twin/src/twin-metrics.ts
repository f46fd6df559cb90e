import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { type DeferredCount, MetricsRegistry, counterWithDeferred } from '@edgefleet/observability';

export type ReportOutcome = 'applied' | 'unchanged' | 'refused';

/** Reported-state ingest: what became of reports, and the batched writes they turned into. */
@Injectable()
export class TwinMetrics {
  readonly reports: Counter<'outcome'>;
  /** The hot outcome, counted per report; reaches `reports` when collected. */
  readonly appliedReports: DeferredCount;
  readonly rowsWritten: Counter;
  readonly flushSeconds: Histogram;

  constructor(metrics: MetricsRegistry) {
    ({ counter: this.reports, deferred: this.appliedReports } = counterWithDeferred(
      {
        name: 'edgefleet_twin_reports_total',
        help: 'state/reported messages: applied (changed the reported state), unchanged (no-op), refused (too large or unknown device)',
        labelNames: ['outcome'] as const,
        registers: [metrics.registry],
      },
      { outcome: 'applied' },
    ));
    for (const outcome of ['applied', 'unchanged', 'refused'] as const) this.reports.inc({ outcome }, 0);
    this.rowsWritten = new Counter({
      name: 'edgefleet_twin_reported_rows_written_total',
      help: 'Device twins written by the batched reported-state writer (coalesced: one row per device per flush)',
      registers: [metrics.registry],
    });
    this.flushSeconds = new Histogram({
      name: 'edgefleet_twin_flush_seconds',
      help: 'Duration of one batched reported-state write',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
  }
}
