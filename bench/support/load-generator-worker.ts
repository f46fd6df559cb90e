import { ConnectFailure, type RawLogin, RawMqttDevice } from './raw-mqtt';
import { ReportLoad, benchReport } from './report-load';
import type { GeneratorCommand, GeneratorReply, GeneratorStatus } from './load-generator';

// One load-generator process of a bench (forked by LoadGenerator): its devices are raw MQTT
// sockets, and a device whose connection closes connects again, the way the SDK does (a random
// delay up to RECONNECT_JITTER_MS, then backoff), so a node killed under it shows how long the
// fleet takes to be back. Each process has its own open-files limit (20,000 here).

const RECONNECT_JITTER_MS = 1_000;
/** Backoff between failed attempts: doubles from 250 ms up to this. */
const MAX_BACKOFF_MS = 2_000;
/** A device still not connected after this long is given up (counted in `failed`): no endless retry. */
const GIVE_UP_MS = 120_000;

let devices: RawMqttDevice[] = [];
let logins: RawLogin[] = [];
let target = { host: '', port: 0 };
let load: ReportLoad | undefined;
let closing = false;
const status: GeneratorStatus = { connected: 0, reconnects: 0, failed: 0, sent: 0, failures: {} };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects device `index`, retrying with backoff until GIVE_UP_MS; then watches for its close. */
async function connect(index: number): Promise<void> {
  const started = Date.now();
  for (let backoff = 250; !closing; backoff = Math.min(MAX_BACKOFF_MS, backoff * 2)) {
    try {
      const device = await RawMqttDevice.connect(target.host, target.port, logins[index]);
      devices[index] = device;
      status.connected++;
      void device.closed.then(() => {
        status.connected--;
        if (!closing) void reconnect(index);
      });
      return;
    } catch (error) {
      const reason = failureReason(error as Error & { code?: string });
      status.failures[reason] = (status.failures[reason] ?? 0) + 1;
      if (Date.now() - started > GIVE_UP_MS) {
        status.failed++;
        return;
      }
      await sleep(backoff * (0.5 + Math.random()));
    }
  }
}

/** Why a CONNECT attempt failed: what RawMqttDevice says, else the socket's error code. */
function failureReason(error: Error & { code?: string }): string {
  return error instanceof ConnectFailure ? error.reason : (error.code ?? error.message);
}

async function reconnect(index: number): Promise<void> {
  status.reconnects++;
  await sleep(Math.random() * RECONNECT_JITTER_MS);
  await connect(index);
}

async function handle(command: GeneratorCommand): Promise<void> {
  switch (command.type) {
    case 'connect': {
      ({ logins } = command);
      target = { host: command.host, port: command.port };
      devices = new Array(logins.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < logins.length; i = next++) await connect(i);
      };
      await Promise.all(Array.from({ length: Math.min(command.concurrency, logins.length) }, worker));
      return;
    }
    case 'start-load':
      load = new ReportLoad(devices, { ratePerDevice: command.ratePerDevice, topic: (i) => `devices/${logins[i].id}/state/reported`, payload: benchReport });
      load.start();
      return;
    case 'stop-load':
      load?.stop();
      return;
    case 'status':
      return;
    case 'close':
      closing = true;
      load?.stop();
      await Promise.all(devices.filter(Boolean).map((device) => (device.close(), device.closed)));
      [devices, load, closing] = [[], undefined, false];
      return;
  }
}

process.on('message', (message: { id: number; command: GeneratorCommand }) => {
  handle(message.command).then(
    () => {
      process.send!({ id: message.id, status: { ...status, sent: load?.sent ?? 0 } } satisfies GeneratorReply);
      status.failures = {};
    },
    (error: Error) => process.send!({ id: message.id, error: error.message } satisfies GeneratorReply),
  );
});

// A normal exit (not the default SIGTERM death) lets `--cpu-prof`, inherited from the bench, write its profile.
process.on('SIGTERM', () => process.exit(0));
