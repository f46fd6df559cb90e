import type { HealthSpec } from './health-spec';

/** A wave's devices by verdict; only devices whose job succeeded are baked. */
export interface WaveHealth {
  wave: number;
  /** Every install job of the wave is final. */
  settled: boolean;
  succeeded: number;
  pending: number;
  healthy: number;
  unhealthy: number;
  inconclusive: number;
}

export type GateRule = 'maxUnhealthyPercent' | 'maxUnhealthy' | 'maxInconclusivePercent' | 'passed';

export type GateDecision =
  | { action: 'wait' }
  | { action: 'promote' | 'pause' | 'abort' | 'revert'; rule: GateRule; reason: string };

/**
 * The wave gate. It trips (the spec's action) as soon as enough devices have a verdict
 * (minEvaluated, or all of a smaller wave) and the unhealthy share or count is over its limit;
 * it passes once the wave has settled and enough of its succeeded devices (count and share)
 * have finished their bake, unless too many are inconclusive (inconclusiveAction).
 */
export function decideGate(spec: HealthSpec, wave: WaveHealth): GateDecision {
  const evaluated = wave.healthy + wave.unhealthy + wave.inconclusive;
  const allIn = wave.settled && wave.pending === 0;
  const counts = `${wave.unhealthy} unhealthy, ${wave.healthy} healthy, ${wave.inconclusive} inconclusive of ${evaluated} evaluated in wave ${wave.wave}`;
  if (evaluated > 0 && (evaluated >= spec.minEvaluated || allIn)) {
    const share = (wave.unhealthy * 100) / evaluated;
    if (share > spec.maxUnhealthyPercent) {
      return { action: spec.action, rule: 'maxUnhealthyPercent', reason: `${counts} (${share.toFixed(1)}% > maxUnhealthyPercent ${spec.maxUnhealthyPercent}%)` };
    }
    if (spec.maxUnhealthy !== undefined && wave.unhealthy > spec.maxUnhealthy) {
      return { action: spec.action, rule: 'maxUnhealthy', reason: `${counts} (${wave.unhealthy} > maxUnhealthy ${spec.maxUnhealthy})` };
    }
  }
  if (!wave.settled) return { action: 'wait' };
  const needed = Math.min(spec.minEvaluated, wave.succeeded);
  if (evaluated < needed || evaluated * 100 < spec.minEvaluatedPercent * wave.succeeded) return { action: 'wait' };
  if (evaluated > 0) {
    const share = (wave.inconclusive * 100) / evaluated;
    if (share > spec.maxInconclusivePercent) {
      return { action: spec.inconclusiveAction, rule: 'maxInconclusivePercent', reason: `${counts} (${share.toFixed(1)}% inconclusive > maxInconclusivePercent ${spec.maxInconclusivePercent}%)` };
    }
  }
  return { action: 'promote', rule: 'passed', reason: counts };
}
