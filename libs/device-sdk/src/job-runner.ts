import type { JobDocument, JobStatusReport } from '@edgefleet/contracts';
import { parseJobDocument } from './job-document';

/** How many finished jobs are remembered, so their retained documents arriving again are not run twice. */
const FINISHED_MEMORY = 32;

export interface JobExecutor {
  /** Runs a job; resolves with the final status it reported, or undefined when it was stopped. */
  run(jobId: string, document: JobDocument, signal: AbortSignal): Promise<JobStatusReport | undefined>;
  /** Reports a status (a rejection of a document it cannot read, or a final status again). */
  report(jobId: string, report: JobStatusReport): void;
}

interface Job {
  jobId: string;
  payload: string;
  controller: AbortController;
}

/**
 * Runs a device's jobs one at a time, in arrival order. Job documents are retained, so the
 * same document arrives again after every reconnect: a job already queued or running is
 * left alone (it carries on). For a job that finished here, the final status is reported
 * again if it was `succeeded` or `rejected` (the server may be asking because the first
 * report was lost, or for a new attempt the device already knows the answer to); after
 * `failed` the job runs again, since a retry is exactly what the server asks for then.
 * An empty retained message clears the job on the server side; a device still working on
 * it stops.
 */
export class JobRunner {
  private readonly queue: Job[] = [];
  private current: Job | null = null;
  private readonly finished = new Map<string, JobStatusReport | undefined>();

  constructor(private readonly executor: JobExecutor) {}

  /** A message on `devices/{id}/jobs/{jobId}`. */
  document(jobId: string, payload: Buffer): void {
    const text = payload.toString('utf8');
    if (text.length === 0) return this.cancel(jobId);
    if (this.current?.jobId === jobId || this.queue.some((job) => job.jobId === jobId)) return;
    const final = this.finished.get(jobId);
    if (final?.status === 'succeeded' || final?.status === 'rejected') return this.executor.report(jobId, final);
    this.queue.push({ jobId, payload: text, controller: new AbortController() });
    void this.pump();
  }

  /** Whether a job is queued, running or finished here. */
  knows(jobId: string): boolean {
    return this.current?.jobId === jobId || this.finished.has(jobId) || this.queue.some((job) => job.jobId === jobId);
  }

  get running(): string | null {
    return this.current?.jobId ?? null;
  }

  cancel(jobId: string): void {
    const index = this.queue.findIndex((job) => job.jobId === jobId);
    if (index >= 0) this.queue.splice(index, 1);
    if (this.current?.jobId === jobId) this.current.controller.abort(new Error('job cancelled by the server'));
  }

  /** Stops the running job and forgets the queue (the device is shutting down). */
  abortAll(): void {
    this.queue.length = 0;
    this.current?.controller.abort(new Error('device stopping'));
  }

  private async pump(): Promise<void> {
    if (this.current) return;
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      this.current = job;
      const parsed = parseJobDocument(job.payload);
      let final: JobStatusReport | undefined;
      try {
        if (parsed.ok) {
          final = await this.executor.run(job.jobId, parsed.document, job.controller.signal);
        } else {
          final = { status: 'rejected', reason: parsed.reason };
          this.executor.report(job.jobId, final);
        }
      } catch {
        // The executor reports its own failures; an error here is an abort while stopping.
      } finally {
        this.current = null;
        this.remember(job.jobId, final);
      }
    }
  }

  private remember(jobId: string, final: JobStatusReport | undefined): void {
    this.finished.delete(jobId);
    this.finished.set(jobId, final);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.keys().next().value!);
  }
}
