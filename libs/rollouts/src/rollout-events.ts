import { Injectable } from '@nestjs/common';
import { isFinalRolloutState } from '@edgefleet/contracts';
import { type RolloutView, RolloutService } from './rollout.service';

/** Progress as a stream: a view whenever it changed (polled), ending once the rollout has nothing left to do. */
@Injectable()
export class RolloutEvents {
  constructor(private readonly rollouts: RolloutService) {}

  async *watch(id: string, intervalMs: number, signal: AbortSignal): AsyncGenerator<RolloutView> {
    let last = '';
    while (!signal.aborted) {
      const view = await this.rollouts.view(await this.rollouts.find(id));
      const fingerprint = JSON.stringify([view.rollout.state, view.rollout.currentWave, view.rollout.reason, view.progress]);
      if (fingerprint !== last) {
        last = fingerprint;
        yield view;
      }
      if (isFinalRolloutState(view.rollout.state) && view.rollout.nextTickAt === null) return;
      await sleep(intervalMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
