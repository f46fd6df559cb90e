import type { KeyObject } from 'node:crypto';
import { type ArtifactSink, type ArtifactStorage, openArtifactSink } from './artifact-sink';
import { artifactRefusal } from './artifact-verifier';
import type { DeviceHandlers, FirmwareImage } from './device-handlers';
import { type FetchFunction, downloadOverHttp } from './http-download';
import type { FirmwareJobDocument, JobStatusReport } from '@edgefleet/contracts';

export interface FirmwareJobContext {
  jobId: string;
  document: FirmwareJobDocument;
  signal: AbortSignal;
  handlers: DeviceHandlers;
  storage: ArtifactStorage;
  /** Download over HTTP when the document has a URL (else, or when HTTP fails, over MQTT chunks). */
  http: boolean;
  fetch?: FetchFunction;
  installedVersion(): string | undefined;
  signingKey(): Promise<KeyObject>;
  /** Reports a status and returns it. */
  report(report: JobStatusReport): JobStatusReport;
  downloadOverMqtt(artifactId: string, size: number, sink: ArtifactSink, onProgress: (received: number) => void): Promise<void>;
  /** Disconnects, runs the reboot hook, and comes back online as `version`; resolves once online, rejects when the job is aborted meanwhile. */
  rebootInto(image: FirmwareImage): Promise<void>;
}

/** Reports `downloading` progress at most every 10 percentage points. */
function progressReporter(context: FirmwareJobContext, size: number): (received: number) => void {
  let lastPercent = -1;
  return (received) => {
    const percent = size === 0 ? 100 : Math.floor((received / size) * 100);
    if (percent >= lastPercent + 10 || (percent === 100 && lastPercent !== 100)) {
      lastPercent = percent;
      context.report({ status: 'downloading', progress: percent });
    }
  };
}

async function download(context: FirmwareJobContext, sink: ArtifactSink): Promise<void> {
  const { artifact } = context.document;
  const onProgress = progressReporter(context, artifact.size);
  onProgress(sink.received);
  if (context.http && artifact.url) {
    try {
      return await downloadOverHttp({ url: artifact.url, size: artifact.size, sink, signal: context.signal, onProgress, fetch: context.fetch });
    } catch (error) {
      if (context.signal.aborted) throw error;
      // An expired link or a blocked port: the same bytes are available over MQTT, from where HTTP stopped.
    }
  }
  await context.downloadOverMqtt(artifact.id, artifact.size, sink, onProgress);
}

/**
 * A firmware job, device side (CONTRACT §3): accepted → downloading (with progress) →
 * installing → rebooting → succeeded, or failed with a reason. Nothing reaches the install
 * hook unless its size, SHA-256 and Ed25519 signature all match.
 */
export async function runFirmwareJob(context: FirmwareJobContext): Promise<JobStatusReport | undefined> {
  const { jobId, document, handlers, signal } = context;
  const { url: _url, ...artifact } = document.artifact;
  if (context.installedVersion() === artifact.version) {
    // Back after the reboot (or already there): the device is the source of truth for what it runs.
    return context.report({ status: 'succeeded' });
  }
  if (!handlers.install) {
    return context.report({ status: 'rejected', reason: 'this device does not install firmware' });
  }
  context.report({ status: 'accepted' });
  const sink = await openArtifactSink(context.storage, artifact.id);
  let image: FirmwareImage;
  try {
    await download(context, sink);
    const refusal = artifactRefusal(document.artifact, { sha256: sink.digest(), size: sink.received }, await context.signingKey());
    if (refusal) {
      await sink.discard();
      return context.report({ status: 'failed', reason: `refused to install: ${refusal}` });
    }
    image = { jobId, artifact, ...(await sink.result()) };
  } catch (error) {
    await sink.close();
    if (signal.aborted) return;
    return context.report({ status: 'failed', reason: `download failed: ${(error as Error).message}` });
  }
  context.report({ status: 'installing' });
  try {
    await handlers.install(image, signal);
  } catch (error) {
    return signal.aborted ? undefined : context.report({ status: 'failed', reason: `install failed: ${(error as Error).message}` });
  }
  if (signal.aborted) return undefined;
  context.report({ status: 'rebooting' });
  try {
    await context.rebootInto(image);
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
  return context.report({ status: 'succeeded' });
}
