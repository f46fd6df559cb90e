import type { KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IClientOptions } from 'mqtt';
import {
  type DesiredStateMessage,
  type DeviceErrorNotice,
  type JobDocument,
  type JobNotify,
  type JobStatusReport,
  type PresenceReport,
  type StateDeltaMessage,
  artifactChunkRequestTopic,
  artifactDataTopic,
  decodeArtifactChunk,
  certificateRenewalTopic,
  certificateRenewedTopic,
  desiredStateTopic,
  deviceErrorsTopic,
  deviceTopicPrefix,
  jobStatusTopic,
  presenceTopic,
  reportedStateTopic,
  stateDeltaTopic,
} from '@edgefleet/contracts';
import type { ArtifactSink, ArtifactStorage } from './artifact-sink';
import { loadSigningKey } from './artifact-verifier';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff';
import { runConfigJob } from './config-job';
import type { DeviceHandlers, FirmwareImage } from './device-handlers';
import { DeviceSession } from './device-session';
import { DesiredTracker } from './desired-tracker';
import { runFirmwareJob } from './firmware-job';
import type { FetchFunction } from './http-download';
import { JobRunner } from './job-runner';
import { JobStatusReporter } from './job-status-reporter';
import { type JsonObject, applyMergePatch } from './json-state';
import { type ChunkTransport, MqttChunkDownload } from './mqtt-chunk-download';
import { CertificateRenewal, type IssuedCertificate } from './certificate-renewal';

export interface DeviceClientOptions {
  /** Broker URL: `mqtt://host:1883`, `mqtts://…`, `ws://host:8083/mqtt`. */
  url: string;
  deviceId: string;
  /** The password from registration (or rotation); or give `certificate`. */
  password?: string;
  /**
   * Sign in by X.509 client certificate over MQTTS (`mqtts://…`) instead of a password: the
   * certificate (CN = device id) from `POST /api/v1/devices/{id}/certificates`, a claim or a
   * renewal, its private key, and the fleet CA (`GET /api/v1/ca`) to verify the server by.
   */
  certificate?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** What the device runs now; reported as `firmware.version` on every connect. */
  firmwareVersion?: string;
  /** Boots counted so far (kept by the device across power cycles); each reboot into a new image adds one. */
  boots?: number;
  /** Initial reported state (besides `firmware.version`). */
  state?: JsonObject;
  handlers?: DeviceHandlers;
  /** Ed25519 public key (PEM or KeyObject) artifacts must be signed with — `GET /api/v1/signing-key` — or a function fetching it. */
  signingKey?: string | KeyObject | (() => Promise<string>);
  downloads?: {
    /** Use the HTTP URL of firmware jobs (default true); false: always MQTT chunks. */
    http?: boolean;
    /** Where firmware is kept while downloading (default `memory`). */
    storage?: ArtifactStorage;
    /** Bytes asked for per MQTT chunk (default 32 KiB; the server may cap it). */
    chunkSize?: number;
    chunkTimeoutMs?: number;
    /** Replaces the global `fetch` (proxies, custom TLS). */
    fetch?: FetchFunction;
  };
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  /**
   * Announce presence on `devices/{id}/presence` (default true): needed behind an external
   * broker (`BROKER_URL`), which does not tell the server who is connected; the embedded
   * broker accepts and ignores it.
   */
  presence?: boolean;
  reconnect?: Partial<BackoffOptions> & { stableAfterMs?: number; retryRefused?: boolean };
  /** Extra mqtt.js options, e.g. `{ ca }` for TLS. */
  mqtt?: IClientOptions;
}

export interface DeviceClientEvents {
  /** Connected and subscribed. */
  online: [];
  offline: [];
  /** The server refused the credential (CONNACK return code); the client stops unless `reconnect.retryRefused`. */
  refused: [code: number];
  /** A job status was reported. */
  job: [jobId: string, report: JobStatusReport];
  /** The server refused something this device sent (`devices/{id}/errors`). */
  'server-error': [notice: DeviceErrorNotice];
  error: [error: Error];
}

/**
 * A device's side of the EdgeFleet protocol (docs/protocol.md): connection with backoff,
 * reported and desired state, and firmware and config jobs. The device's own behaviour
 * comes in through `handlers`.
 */
export class DeviceClient extends EventEmitter<DeviceClientEvents> {
  readonly deviceId: string;
  private readonly session: DeviceSession;
  private readonly reported: JsonObject;
  private firmware: string | undefined;
  private bootCount: number;
  private readonly desired: DesiredTracker;
  private readonly jobs: JobRunner;
  private readonly statuses: JobStatusReporter;
  private readonly chunkDownloads = new Map<string, MqttChunkDownload>();
  private signingKeyObject: Promise<KeyObject> | null = null;
  private readonly prefix: string;
  private readonly renewal: CertificateRenewal;

  constructor(private readonly options: DeviceClientOptions) {
    super();
    this.deviceId = options.deviceId;
    this.prefix = deviceTopicPrefix(options.deviceId);
    this.firmware = options.firmwareVersion;
    this.bootCount = options.boots ?? 0;
    this.reported = applyMergePatch({}, structuredClone(options.state ?? {}));
    if (this.firmware !== undefined) applyMergePatch(this.reported, { firmware: { version: this.firmware } });
    const reconnect = options.reconnect ?? {};
    if (options.password === undefined && !options.certificate) throw new Error('DeviceClient needs a password or a certificate');
    this.session = new DeviceSession({
      url: options.url,
      deviceId: options.deviceId,
      password: options.certificate ? undefined : options.password,
      subscriptions: [desiredStateTopic(this.deviceId), stateDeltaTopic(this.deviceId), `${this.prefix}jobs/+`, deviceErrorsTopic(this.deviceId), certificateRenewedTopic(this.deviceId)],
      keepaliveSeconds: options.keepaliveSeconds ?? 60,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      backoff: { ...DEFAULT_BACKOFF, ...reconnect },
      stableAfterMs: reconnect.stableAfterMs ?? 10_000,
      retryRefused: reconnect.retryRefused ?? false,
      presence: options.presence === false ? undefined : presenceMessages(this.deviceId),
      mqtt: options.certificate ? { ...options.mqtt, ...options.certificate } : options.mqtt,
    });
    this.renewal = new CertificateRenewal(async (csr) => {
      if (!(await this.session.publish(certificateRenewalTopic(this.deviceId), JSON.stringify({ csr })))) throw new Error('the renewal request was not sent (offline)');
    });
    this.desired = new DesiredTracker(() => this.reported, options.handlers?.onDesired, (patch) => this.reportState(patch));
    this.statuses = new JobStatusReporter(this.session, (jobId) => jobStatusTopic(this.deviceId, jobId));
    this.jobs = new JobRunner({
      run: (jobId, document, signal) => this.runJob(jobId, document, signal),
      report: (jobId, report) => this.report(jobId, report),
    });
    this.session.on('connected', () => void this.session.publish(reportedStateTopic(this.deviceId), JSON.stringify(this.reported)));
    this.session.on('online', () => {
      this.statuses.flush();
      for (const download of this.chunkDownloads.values()) download.reconnected();
      this.emit('online');
    });
    this.session.on('offline', () => this.emit('offline'));
    this.session.on('refused', (code) => this.emit('refused', code));
    this.session.on('error', (error) => this.emit('error', error));
    this.session.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  get online(): boolean {
    return this.session.online;
  }

  get firmwareVersion(): string | undefined {
    return this.firmware;
  }

  /** The reported state as this device last sent it. */
  get state(): JsonObject {
    return structuredClone(this.reported);
  }

  /** The job being worked on, if any. */
  get currentJob(): string | null {
    return this.jobs.running;
  }

  /** Connects; resolves once online (connected and subscribed), rejects if the credential is refused. */
  start(): Promise<void> {
    const online = this.waitOnline();
    this.session.start();
    return online;
  }

  /** Disconnects cleanly and abandons any job in progress. */
  async stop(): Promise<void> {
    this.jobs.abortAll();
    await this.session.stop();
  }

  /** Drops the connection as a network failure would (no DISCONNECT); the client reconnects with backoff. */
  dropConnection(): void {
    this.session.drop();
  }

  /**
   * Reports health keys under `health` (merged: `{app: "ok"}` leaves other keys), for a rollout's
   * health gate: checks such as `health.app eq "ok"` read them during the bake.
   */
  reportHealth(health: JsonObject): void {
    this.reportState({ health });
  }

  /** Boots into a new image this client has made (counted from `options.boots`, default 0), reported as `health.boots`. */
  get boots(): number {
    return this.bootCount;
  }

  /** Merges `patch` into the reported state (JSON merge patch: `null` deletes) and publishes it. */
  reportState(patch: JsonObject): void {
    applyMergePatch(this.reported, structuredClone(patch));
    void this.session.publish(reportedStateTopic(this.deviceId), JSON.stringify(patch));
  }

  /**
   * Asks the fleet CA for a new certificate for `csr` (subject CN = the device id, a new key).
   * The current one keeps working until the new one is first used: reconnect with it.
   */
  renewCertificate(csr: string, timeoutMs = 30_000): Promise<IssuedCertificate> {
    return this.renewal.request(csr, timeoutMs);
  }

  waitOnline(): Promise<void> {
    if (this.session.online) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onOnline = () => (this.off('refused', onRefused), resolve());
      const onRefused = (code: number) => (this.off('online', onOnline), reject(new Error(`connection refused by the server (CONNACK ${code})`)));
      this.once('online', onOnline);
      this.once('refused', onRefused);
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(this.prefix)) return;
    const [kind, id, sub] = topic.slice(this.prefix.length).split('/');
    if (kind === 'state' && id === 'desired') return this.desired.onDesired(parseJson<DesiredStateMessage>(payload));
    if (kind === 'state' && id === 'delta') return this.desired.onDelta(parseJson<StateDeltaMessage>(payload));
    if (kind === 'jobs' && id === 'notify' && sub === undefined) return this.onNotify(parseJson<JobNotify>(payload));
    if (kind === 'jobs' && id && sub === undefined) return this.jobs.document(id, payload);
    if (kind === 'artifacts' && id && sub === 'data') return this.onChunk(id, payload);
    if (kind === 'certificates' && id === 'renewed') return this.renewal.renewed(parseJson<IssuedCertificate>(payload));
    if (kind === 'errors') return this.onServerError(parseJson<DeviceErrorNotice>(payload));
  }

  /** A pending job whose document has not arrived: subscribing again re-sends the retained documents (MQTT 3.1.1 §3.8.4). */
  private onNotify(notify: JobNotify | null): void {
    if (!notify || !Array.isArray(notify.jobs)) return;
    if (notify.jobs.some((job) => typeof job?.jobId === 'string' && !this.jobs.knows(job.jobId))) {
      setTimeout(() => void this.session.resubscribe(`${this.prefix}jobs/+`), 1_000).unref();
    }
  }

  private onChunk(artifactId: string, payload: Buffer): void {
    const download = this.chunkDownloads.get(artifactId);
    if (!download) return;
    try {
      const { offset, bytes } = decodeArtifactChunk(payload);
      download.deliver(offset, bytes);
    } catch {
      // shorter than its header: ignored; the request times out and is asked again
    }
  }

  private onServerError(notice: DeviceErrorNotice | null): void {
    if (!notice || typeof notice.topic !== 'string') return;
    const match = /^devices\/[^/]+\/artifacts\/([^/]+)\/get$/.exec(notice.topic);
    if (match) this.chunkDownloads.get(match[1])?.refuse(String(notice.message));
    if (notice.topic === certificateRenewalTopic(this.deviceId)) this.renewal.refused(String(notice.message));
    this.emit('server-error', notice);
  }

  private report(jobId: string, report: JobStatusReport): JobStatusReport {
    this.statuses.report(jobId, report);
    this.emit('job', jobId, report);
    return report;
  }

  private async runJob(jobId: string, document: JobDocument, signal: AbortSignal): Promise<JobStatusReport | undefined> {
    const handlers = this.options.handlers ?? {};
    const report = (status: JobStatusReport) => this.report(jobId, status);
    const alreadyRunning = document.type === 'firmware' && document.artifact.version === this.firmware;
    if (!alreadyRunning) {
      const refusal = await handlers.acceptJob?.(jobId, document);
      if (refusal) return report({ status: 'rejected', reason: refusal });
    }
    if (document.type === 'config') {
      return runConfigJob({ jobId, document, signal, handlers, report, reportState: (patch) => this.reportState(patch) });
    }
    const downloads = this.options.downloads ?? {};
    return runFirmwareJob({
      jobId,
      document,
      signal,
      handlers,
      report,
      storage: downloads.storage ?? 'memory',
      http: downloads.http ?? true,
      fetch: downloads.fetch,
      installedVersion: () => this.firmware,
      signingKey: () => this.signingKey(),
      downloadOverMqtt: (artifactId, size, sink, onProgress) => this.downloadOverMqtt(artifactId, size, sink, onProgress, signal),
      rebootInto: (image) => this.rebootInto(image, signal),
    });
  }

  private signingKey(): Promise<KeyObject> {
    const source = this.options.signingKey;
    if (!source) return Promise.reject(new Error('no signing key configured: pass signingKey (GET /api/v1/signing-key)'));
    if (typeof source === 'object') return Promise.resolve(source);
    this.signingKeyObject ??= (typeof source === 'string' ? Promise.resolve(source) : source()).then(loadSigningKey);
    this.signingKeyObject.catch(() => (this.signingKeyObject = null));
    return this.signingKeyObject;
  }

  private async downloadOverMqtt(
    artifactId: string,
    size: number,
    sink: ArtifactSink,
    onProgress: (received: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    await this.session.subscribe(artifactDataTopic(this.deviceId, '+'));
    const { session, deviceId } = this;
    const transport: ChunkTransport = {
      get connected() {
        return session.online;
      },
      requestChunk: (id, offset, length) => void session.publish(artifactChunkRequestTopic(deviceId, id), JSON.stringify({ offset, length })),
    };
    const { chunkSize = 32 * 1024, chunkTimeoutMs } = this.options.downloads ?? {};
    const download = new MqttChunkDownload(transport, { artifactId, size, sink, signal, onProgress, chunkSize, chunkTimeoutMs });
    this.chunkDownloads.set(artifactId, download);
    try {
      await download.run();
    } finally {
      this.chunkDownloads.delete(artifactId);
    }
  }

  private async rebootInto(image: FirmwareImage, signal: AbortSignal): Promise<void> {
    await this.session.stop();
    await this.options.handlers?.reboot?.(image);
    this.firmware = image.artifact.version;
    this.bootCount++;
    applyMergePatch(this.reported, { firmware: { version: this.firmware }, health: { boots: this.bootCount } });
    const after = this.options.handlers?.afterReboot?.(image);
    if (after) applyMergePatch(this.reported, structuredClone(after));
    // Stopped meanwhile (powered off while rebooting): the image is in, but the device stays off
    // until started again; then the retained job document comes back and it reports success.
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.start().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

function presenceMessages(deviceId: string): { topic: string; online: string; offline: string } {
  const report = (online: boolean) => JSON.stringify({ online } satisfies PresenceReport);
  return { topic: presenceTopic(deviceId), online: report(true), offline: report(false) };
}

function parseJson<T>(payload: Buffer): T | null {
  if (payload.length === 0) return null;
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    return null;
  }
}
