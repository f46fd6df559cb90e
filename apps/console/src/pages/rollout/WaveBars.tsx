import { number } from '../../components/Bits';
import { type Rollout, segments } from './rollout-words';

// Failed first, from the left: the bar crosses the dashed threshold mark when failures pass it.
const ORDER = ['failed', 'succeeded', 'inflight', 'pending', 'offline'] as const;
const LABEL = { succeeded: 'succeeded', failed: 'failed', inflight: 'in flight', pending: 'pending', offline: 'offline' };

/** Per wave a stacked bar; the dashed mark is where failures would cross the threshold. */
export function WaveBars(props: { rollout: Rollout }) {
  const threshold = props.rollout.strategy.failureThreshold?.percent;
  return (
    <div>
      <div class="legend" aria-hidden="true">
        {ORDER.map((k) => (
          <span key={k}>
            <i class="bar-key" style={{ background: `var(--c-${k})` }} />
            {LABEL[k]}
          </span>
        ))}
        {threshold !== undefined && <span>┆ failure threshold {threshold} %</span>}
      </div>
      {props.rollout.waves.map((wave) => {
        const s = segments(wave.counts);
        const total = wave.total || 1;
        const text = ORDER.map((k) => `${number(s[k])} ${LABEL[k]}`).join(', ');
        return (
          <div class="wave" key={wave.wave} data-testid={`wave-${wave.wave}`}>
            <div class="wave-label">
              <strong>
                Wave {wave.wave + 1} ({wave.percent} %){wave.wave === props.rollout.currentWave && props.rollout.state === 'running' ? ' · current' : ''}
              </strong>
              <span data-testid={`wave-${wave.wave}-text`}>
                {number(wave.total)} devices: {text}
              </span>
            </div>
            <div class="bar" role="img" aria-label={`Wave ${wave.wave + 1}: ${text}`}>
              {ORDER.map((k) => (s[k] ? <span key={k} class={k} style={{ width: `${(s[k] / total) * 100}%` }} /> : null))}
              {threshold !== undefined && <span class="threshold" style={{ left: `${threshold}%` }} />}
            </div>
          </div>
        );
      })}
    </div>
  );
}
