import { Injectable } from '@nestjs/common';
import { isFinalRolloutState } from '@edgefleet/contracts';
import type { RolloutDecision } from './health/rollout-decision.repository';
import { type RolloutView, RolloutService } from './rollout.service';

export type RolloutEvent = { kind: 'progress'; view: RolloutView } | { kind: 'decision'; decision: RolloutDecision };

/**
 * Progress as a stream: a view whenever it changed (polled), and each new health gate decision,
 * ending once the rollout has nothing left to do.
 */
@Injectable()
export class RolloutEvents {
  constructor(private readonly rollouts: RolloutService) {}

  async *watch(id: string, intervalMs: number, signal: AbortSignal): AsyncGenerator<RolloutEvent> {
    let last = '';
    let lastDecision: string | undefined;
    // Decisions made before the stream opened are history (GET …/decisions), not events.
    const earlier = await this.rollouts.decisionsAfter(id, undefined);
    lastDecision = earlier.at(-1)?.id;
    while (!signal.aborted) {
      const view = await this.rollouts.view(await this.rollouts.find(id));
      for (const decision of await this.rollouts.decisionsAfter(id, lastDecision)) {
        lastDecision = decision.id;
        yield { kind: 'decision', decision };
      }
      const fingerprint = JSON.stringify([view.rollout.state, view.rollout.currentWave, view.rollout.reason, view.progress]);
      if (fingerprint !== last) {
        last = fingerprint;
        yield { kind: 'progress', view };
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
