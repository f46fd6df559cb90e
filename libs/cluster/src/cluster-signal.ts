/** What one node tells the others; see ClusterSignals. */
export const SIGNAL_KINDS = ['wake', 'revoke', 'certificate-revoked', 'takeover', 'ca-changed'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export interface ClusterSignal {
  from: string;
  kind: SignalKind;
  entries: string[];
}

/** Postgres refuses a NOTIFY payload of 8,000 bytes or more; this leaves room. */
export const MAX_PAYLOAD_BYTES = 7_900;

/** One JSON payload per run of entries that fits under MAX_PAYLOAD_BYTES. */
export function encodeSignals(from: string, kind: SignalKind, entries: readonly string[]): string[] {
  const payloads: string[] = [];
  const head = Buffer.byteLength(JSON.stringify({ from, kind, entries: [] }));
  let chunk: string[] = [];
  let size = head;
  for (const entry of entries) {
    const cost = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (chunk.length && size + cost > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ from, kind, entries: chunk }));
      chunk = [];
      size = head;
    }
    chunk.push(entry);
    size += cost;
  }
  if (chunk.length) payloads.push(JSON.stringify({ from, kind, entries: chunk }));
  return payloads;
}

/** A payload from the channel, or undefined when it is not one of ours. */
export function parseSignal(payload: string | undefined): ClusterSignal | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as Partial<ClusterSignal>;
    if (typeof value.from !== 'string' || !SIGNAL_KINDS.includes(value.kind as SignalKind) || !Array.isArray(value.entries)) return undefined;
    return { from: value.from, kind: value.kind as SignalKind, entries: value.entries.filter((entry): entry is string => typeof entry === 'string') };
  } catch {
    return undefined;
  }
}
