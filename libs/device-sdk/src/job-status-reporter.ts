import { JOB_REASON_MAX, type JobStatusReport } from '@edgefleet/contracts';
import type { DeviceSession } from './device-session';

/**
 * Publishes job statuses at QoS 1 and keeps the newest unacknowledged one per job, sent again
 * after a reconnect: a status never gets lost in a network cut, and a device that was offline
 * sends only where it is now, not the steps it went through meanwhile.
 */
export class JobStatusReporter {
  private readonly unacknowledged = new Map<string, JobStatusReport>();

  constructor(
    private readonly session: DeviceSession,
    private readonly topic: (jobId: string) => string,
  ) {}

  report(jobId: string, report: JobStatusReport): void {
    if (report.reason && report.reason.length > JOB_REASON_MAX) report = { ...report, reason: `${report.reason.slice(0, JOB_REASON_MAX - 1)}…` };
    this.unacknowledged.set(jobId, report);
    void this.send(jobId, report);
  }

  /** Sends every status still unacknowledged; call when the session is back online. */
  flush(): void {
    for (const [jobId, report] of this.unacknowledged) void this.send(jobId, report);
  }

  private async send(jobId: string, report: JobStatusReport): Promise<void> {
    const delivered = await this.session.publish(this.topic(jobId), JSON.stringify(report), 1);
    if (delivered && this.unacknowledged.get(jobId) === report) this.unacknowledged.delete(jobId);
  }
}
