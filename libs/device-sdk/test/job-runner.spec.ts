import type { JobStatusReport } from '@edgefleet/contracts';
import { JobRunner } from '../src/job-runner';

const doc = (config: Record<string, unknown>) => Buffer.from(JSON.stringify({ type: 'config', rolloutId: 'r1', config }));

/** Runs jobs that stay open until released, so the test can deliver documents mid-job. */
function recordingExecutor() {
  const runs: string[] = [];
  const reports: Array<[string, JobStatusReport]> = [];
  const finals = new Map<string, JobStatusReport>();
  const releases = new Map<string, () => void>();
  const aborted: string[] = [];
  const executor = {
    run: (jobId: string, _document: unknown, signal: AbortSignal) =>
      new Promise<JobStatusReport | undefined>((resolve) => {
        runs.push(jobId);
        releases.set(jobId, () => resolve(finals.get(jobId) ?? { status: 'succeeded' }));
        signal.addEventListener('abort', () => (aborted.push(jobId), resolve(undefined)));
      }),
    report: (jobId: string, report: JobStatusReport) => void reports.push([jobId, report]),
  };
  const release = async (jobId: string, final?: JobStatusReport) => {
    if (final) finals.set(jobId, final);
    releases.get(jobId)!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { executor, runs, reports, aborted, release };
}

describe('JobRunner', () => {
  it('runs jobs one at a time in arrival order', async () => {
    const { executor, runs, release } = recordingExecutor();
    const runner = new JobRunner(executor);
    runner.document('j1', doc({ a: 1 }));
    runner.document('j2', doc({ a: 2 }));
    expect(runs).toEqual(['j1']);
    await release('j1');
    expect(runs).toEqual(['j1', 'j2']);
  });

  it('keeps going when the retained document of the running job arrives again (reconnect mid-job)', async () => {
    const { executor, runs, reports, release } = recordingExecutor();
    const runner = new JobRunner(executor);
    runner.document('j1', doc({ a: 1 }));
    runner.document('j1', doc({ a: 1 }));
    expect(runs).toEqual(['j1']);
    await release('j1');
    expect(reports).toEqual([]);
  });

  it('answers the document of a job that succeeded with its final status instead of running it again', async () => {
    const { executor, runs, reports, release } = recordingExecutor();
    const runner = new JobRunner(executor);
    runner.document('j1', doc({ a: 1 }));
    await release('j1', { status: 'succeeded' });
    runner.document('j1', doc({ a: 1 }));
    expect(runs).toEqual(['j1']);
    expect(reports).toEqual([['j1', { status: 'succeeded' }]]);
  });

  it('runs a job that failed here again when its document arrives again (a retry)', async () => {
    const { executor, runs, release } = recordingExecutor();
    const runner = new JobRunner(executor);
    runner.document('j1', doc({ a: 1 }));
    await release('j1', { status: 'failed', reason: 'flash write error' });
    runner.document('j1', doc({ a: 1 }));
    expect(runs).toEqual(['j1', 'j1']);
  });

  it('stops a running job when its retained document is cleared, and drops a queued one', async () => {
    const { executor, runs, aborted } = recordingExecutor();
    const runner = new JobRunner(executor);
    runner.document('j1', doc({}));
    runner.document('j2', doc({}));
    runner.document('j2', Buffer.alloc(0));
    runner.document('j1', Buffer.alloc(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(aborted).toEqual(['j1']);
    expect(runs).toEqual(['j1']);
  });

  it('rejects a document it cannot read, with the reason', async () => {
    const { executor, reports } = recordingExecutor();
    new JobRunner(executor).document('j9', Buffer.from('{"type":"firmware"}'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(reports).toEqual([['j9', { status: 'rejected', reason: 'firmware job without an artifact' }]]);
  });
});
