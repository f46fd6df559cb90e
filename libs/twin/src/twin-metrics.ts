import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { type DeferredCount, MetricsRegistry, counterWithDeferred } from '@edgefleet/observability';

export type ReportOutcome = 'applied' | 'unchanged' | 'refused' | 'not-stored';

/** What the ingest holds unwritten, read when metrics are collected. */
export interface IngestBacklog {
  reports: number;
  bytes: number;
  rows: number;
  acks: number;
}

/** Reported-state ingest: what became of reports, and the batched writes they turned into. */
@Injectable()
export class TwinMetrics {
  readonly reports: Counter<'outcome'>;
  /** The hot outcome, counted per report; reaches `reports` when collected. */
  readonly appliedReports: DeferredCount;
  readonly rowsWritten: Counter;
  readonly flushSeconds: Histogram;
  /** Device rows Postgres refused alone, found by splitting their batch. */
  readonly refusedRows;
  private backlog: () => IngestBacklog = () => ({ reports: 0, bytes: 0, rows: 0, acks: 0 });

  constructor(metrics: MetricsRegistry) {
    ({ counter: this.reports, deferred: this.appliedReports } = counterWithDeferred(
      {
        name: 'edgefleet_twin_reports_total',
        help: 'state/reported messages: applied (changed the reported state), unchanged (no-op), refused (too large or unknown device), not-stored (backlog full or database down; QoS 1 not acknowledged)',
        labelNames: ['outcome'] as const,
        registers: [metrics.registry],
      },
      { outcome: 'applied' },
    ));
    for (const outcome of ['applied', 'unchanged', 'refused', 'not-stored'] as const) this.reports.inc({ outcome }, 0);
    this.refusedRows = metrics.batchRowsRefused.labels('twin-reported');
    for (const [name, help, key] of [
      ['edgefleet_twin_pending_reports', 'Reported-state messages merged in memory and not yet written to Postgres', 'reports'],
      ['edgefleet_twin_pending_bytes', 'Bytes of JSON of those reports; past TWIN_MAX_PENDING_MB new reports are refused', 'bytes'],
      ['edgefleet_twin_pending_rows', 'Device twins waiting for the next batched write', 'rows'],
      ['edgefleet_twin_pending_acks', 'QoS 1 reports waiting for their PUBACK until they are written', 'acks'],
    ] as const) {
      const backlogOf = () => this.backlog();
      new Gauge({
        name,
        help,
        registers: [metrics.registry],
        collect() {
          this.set(backlogOf()[key]);
        },
      });
    }
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

  observeBacklog(read: () => IngestBacklog): void {
    this.backlog = read;
  }
}
