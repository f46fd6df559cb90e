import { mergePatchBetween, stateFromArgs } from '../src/commands/state-input';

describe('desired state from the command line', () => {
  it('reads path=value with JSON values where they parse, and JSON objects', () => {
    expect(stateFromArgs(['a.b.c=5', 'a.d=true', 'name=lab 1', 'n=null', '{"x":{"y":[1]}}', 'q="7"'])).toEqual({ a: { b: { c: 5 }, d: true }, name: 'lab 1', n: null, x: { y: [1] }, q: '7' });
    expect(() => stateFromArgs(['novalue'])).toThrow('expected path=value');
    expect(() => stateFromArgs(['a..b=1'])).toThrow('empty part');
    expect(() => stateFromArgs(['[1]'])).toThrow('expected path=value');
  });

  it('builds the merge patch that turns one state into another (RFC 7396: removed keys become null)', () => {
    const from = { mode: 'eco', led: true, net: { wifi: 'lab', dhcp: true }, list: [1, 2] };
    const to = { mode: 'off', net: { wifi: 'lab' }, list: [1, 2], extra: { a: 1 } };
    expect(mergePatchBetween(from, to)).toEqual({ mode: 'off', led: null, net: { dhcp: null }, extra: { a: 1 } });
    expect(mergePatchBetween(to, to)).toEqual({});
  });
});
