import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceHandlers } from '@edgefleet/device-sdk';
import { type ValueRange, pick } from './value-range';

export interface BehaviourOptions {
  /** Probability (0–1) that an install or a config change fails. */
  failRate: number;
  latency: ValueRange;
  installTime: ValueRange;
  rebootTime: ValueRange;
  /** Share (0–1) of the devices that report `health.app: "crash"` after rebooting into `unhealthyVersion`; the others report `"ok"`. */
  unhealthyShare?: number;
  unhealthyVersion?: string;
  random?: () => number;
}

/**
 * What a simulated device does at each step, as SDK handlers. One set is shared by every
 * device of a fleet (the handlers hold no per-device state), which keeps 20,000 devices
 * cheap.
 */
export function simulatedBehaviour(options: BehaviourOptions): DeviceHandlers {
  const random = options.random ?? Math.random;
  const wait = (range: ValueRange, signal?: AbortSignal) => (range.max > 0 ? sleep(pick(range, random), undefined, { signal }) : Promise.resolve());
  const mayFail = (what: string) => {
    if (random() < options.failRate) throw new Error(`simulated ${what} failure`);
  };
  return {
    onDesired: async () => {
      await wait(options.latency);
    },
    acceptJob: async () => {
      await wait(options.latency);
    },
    install: async (_image, signal) => {
      await wait(options.installTime, signal);
      mayFail('flash write');
    },
    reboot: async () => {
      await wait(options.rebootTime);
    },
    afterReboot: (image) => {
      const sick = image.artifact.version === options.unhealthyVersion && random() < (options.unhealthyShare ?? 0);
      return { health: { app: sick ? 'crash' : 'ok' } };
    },
    applyConfig: async (_config, _jobId, signal) => {
      await wait(options.latency, signal);
      mayFail('config apply');
    },
  };
}
