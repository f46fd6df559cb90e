import { setTimeout as sleep } from 'node:timers/promises';
import { serverSentEvents } from '@edgefleet/api-client';
import { isFinalRolloutState } from '@edgefleet/contracts';
import { okJson } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { ProgressBar } from '../output/progress-bar';
import { type Rollout, waveLine } from './rollout-columns';

/** A stream that breaks (server restart, proxy timeout) is opened again this many times in a row at most. */
const RECONNECTS = 5;

/**
 * Follows `GET /rollouts/{id}/events` and draws one bar per wave on stderr until the rollout
 * ends; resolves with its last state. `timeoutSeconds` bounds the wait.
 */
export async function watchRollout(cli: Cli, id: string, timeoutSeconds?: number): Promise<Rollout> {
  const connection = cli.connection();
  const progress = new ProgressBar(cli.io.stderr);
  const timeout = timeoutSeconds ? AbortSignal.timeout(timeoutSeconds * 1000) : undefined;
  let last: Rollout | undefined;
  let failures = 0;
  const draw = (rollout: Rollout, final = false) =>
    progress.lines(
      [
        `rollout ${rollout.name} (${rollout.id}): ${rollout.state}${rollout.reason ? ` — ${rollout.reason}` : ''} · ${Math.round(progress.elapsedSeconds)}s`,
        ...(rollout.waves ?? []).map((wave) => waveLine(wave, rollout.state === 'running' && wave.wave === rollout.currentWave)),
      ],
      final,
    );
  try {
    for (;;) {
      let response: Response;
      try {
        response = await connection.fetch(`/api/v1/rollouts/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, signal: timeout });
      } catch (error) {
        if (timeout?.aborted) throw error;
        if (++failures > RECONNECTS) throw error;
        await sleep(500 * failures);
        continue;
      }
      if (response.status === 429 && failures < RECONNECTS) {
        // The server caps its event streams; wait as it asks (bounded), within the same limit.
        failures++;
        await response.body?.cancel();
        const seconds = Math.min(10, Number(response.headers.get('retry-after')) || 1);
        cli.note(`the server has too many event streams open (429); trying again in ${seconds} s`);
        await sleep(seconds * 1000);
        continue;
      }
      if (!response.ok || !response.body) await okJson(response, `watch rollout ${id}`);
      let ended = false;
      try {
        for await (const event of serverSentEvents(response.body!)) {
          if (event.event === 'progress') {
            last = JSON.parse(event.data) as Rollout;
            failures = 0;
            draw(last);
          } else if (event.event === 'end') ended = true;
          else if (event.event === 'error') throw new CliError(`watch rollout ${id}: ${(JSON.parse(event.data) as { message?: string }).message ?? event.data}`);
        }
      } catch (error) {
        if (error instanceof CliError || timeout?.aborted) throw error;
        // The stream broke; opened again below, within the bound.
      }
      if (ended && last && isFinalRolloutState(last.state)) break;
      if (++failures > RECONNECTS) throw new CliError(`watch rollout ${id}: the event stream ended ${RECONNECTS + 1} times in a row before the rollout did`);
      await sleep(500 * failures);
    }
  } catch (error) {
    if (timeout?.aborted) throw new CliError(`watch rollout ${id}: not finished after ${timeoutSeconds} s${last ? ` (state ${last.state})` : ''}`);
    throw error;
  }
  draw(last, true);
  return last;
}
