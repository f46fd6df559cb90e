import { MAX_PAYLOAD_BYTES, encodeSignals, parseSignal } from '@edgefleet/cluster';

describe('cluster signal payloads', () => {
  it('splits many device ids into NOTIFY payloads under the limit, losing none and repeating none', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `device-${'x'.repeat(i % 100)}-${i}`);
    const payloads = encodeSignals('node-1', 'wake', ids);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const decoded = payloads.map((payload) => parseSignal(payload)!);
    expect(decoded.every((signal) => signal.from === 'node-1' && signal.kind === 'wake')).toBe(true);
    expect(decoded.flatMap((signal) => signal.entries)).toEqual(ids);
  });

  it('counts bytes, not characters, for ids outside ASCII', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `gerät-ü-${'é'.repeat(20)}-${i}`);
    for (const payload of encodeSignals('n', 'revoke', ids)) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it('ignores payloads that are not ours', () => {
    expect(parseSignal(undefined)).toBeUndefined();
    expect(parseSignal('not json')).toBeUndefined();
    expect(parseSignal(JSON.stringify({ from: 'n', kind: 'reboot', entries: ['a'] }))).toBeUndefined();
    expect(parseSignal(JSON.stringify({ from: 'n', kind: 'wake', entries: ['a', 3] }))).toEqual({ from: 'n', kind: 'wake', entries: ['a'] });
  });
});
