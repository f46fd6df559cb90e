import type { DeviceHandlers } from './device-handlers';
import type { ConfigJobDocument, JobStatusReport } from '@edgefleet/contracts';
import type { JsonObject } from './json-state';

export interface ConfigJobContext {
  jobId: string;
  document: ConfigJobDocument;
  signal: AbortSignal;
  handlers: DeviceHandlers;
  /** Reports a status and returns it. */
  report(report: JobStatusReport): JobStatusReport;
  reportState(patch: JsonObject): void;
}

/** A config job, device side: accepted → installing → succeeded (the applied config reported as state), or failed. */
export async function runConfigJob(context: ConfigJobContext): Promise<JobStatusReport | undefined> {
  const { jobId, document, handlers, signal } = context;
  context.report({ status: 'accepted' });
  context.report({ status: 'installing' });
  let applied: JsonObject;
  try {
    applied = (await handlers.applyConfig?.(document.config, jobId, signal)) ?? document.config;
  } catch (error) {
    return signal.aborted ? undefined : context.report({ status: 'failed', reason: `config not applied: ${(error as Error).message}` });
  }
  if (signal.aborted) return undefined;
  context.reportState(applied);
  return context.report({ status: 'succeeded' });
}
