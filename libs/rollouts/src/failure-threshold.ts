export interface FailureThreshold {
  /** Abort when the failed share of final jobs is above this percentage. */
  percent: number;
  /** …but only once at least this many jobs are final. */
  minSamples: number;
}

export interface FinalCounts {
  /** Jobs in a final state that counts (succeeded, failed, rejected, timed_out; not cancelled). */
  final: number;
  /** Of those, failed + rejected + timed_out. */
  failed: number;
}

/** Why the rollout must abort, or null while the failure share is within the threshold. */
export function thresholdBreach(counts: FinalCounts, threshold: FailureThreshold | undefined): string | null {
  if (!threshold || counts.final < threshold.minSamples || counts.final === 0) return null;
  const share = (counts.failed * 100) / counts.final;
  if (share <= threshold.percent) return null;
  return `failure threshold crossed: ${counts.failed} of ${counts.final} finished devices failed (${share.toFixed(1)}% > ${threshold.percent}%)`;
}
