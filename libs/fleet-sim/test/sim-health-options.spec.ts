import { parseSimArgs } from '../src/sim-options';
import { simulatedBehaviour } from '../src/simulated-behaviour';

const image = (version: string) => ({ artifact: { id: 'a', version, size: 1, sha256: 'x', signature: 's' } }) as never;

describe('simulator health flags', () => {
  it('reads --unhealthy-share and --unhealthy-version, and refuses a share without a version', () => {
    expect(parseSimArgs(['--token', 't', '--unhealthy-share', '0.3', '--unhealthy-version', '2.0.0'])).toMatchObject({ unhealthyShare: 0.3, unhealthyVersion: '2.0.0' });
    expect(parseSimArgs(['--token', 't'])).toMatchObject({ unhealthyShare: 0 });
    expect(() => parseSimArgs(['--token', 't', '--unhealthy-share', '0.3'])).toThrow(/--unhealthy-version/);
    expect(() => parseSimArgs(['--token', 't', '--unhealthy-share', '2', '--unhealthy-version', '2.0.0'])).toThrow(/--unhealthy-share/);
  });

  it('a device reports health.app crash only on the unhealthy version, for its share', () => {
    const draws = [0.1, 0.9, 0.1];
    const behaviour = simulatedBehaviour({ failRate: 0, latency: { min: 0, max: 0 }, installTime: { min: 0, max: 0 }, rebootTime: { min: 0, max: 0 }, unhealthyShare: 0.3, unhealthyVersion: '2.0.0', random: () => draws.shift() ?? 0.5 });
    expect(behaviour.afterReboot!(image('2.0.0'))).toEqual({ health: { app: 'crash' } });
    expect(behaviour.afterReboot!(image('2.0.0'))).toEqual({ health: { app: 'ok' } });
    expect(behaviour.afterReboot!(image('1.1.0'))).toEqual({ health: { app: 'ok' } });
  });
});

describe('simulator fault flags', () => {
  it('reads the crash-loop, dark and rollback shares with their versions, and refuses a share without a version', () => {
    const options = parseSimArgs(['--token', 't', '--crash-loop-share', '0.2', '--crash-loop-version', '2.0.0', '--dark-share', '0.1', '--dark-version', '2.0.0', '--rollback-share', '1', '--rollback-version', '3.0.0']);
    expect(options).toMatchObject({ crashLoop: { share: 0.2, version: '2.0.0' }, dark: { share: 0.1, version: '2.0.0' }, rollback: { share: 1, version: '3.0.0' } });
    const plain = parseSimArgs(['--token', 't']);
    expect([plain.crashLoop, plain.dark, plain.rollback]).toEqual([undefined, undefined, undefined]);
    expect(() => parseSimArgs(['--token', 't', '--dark-share', '0.5'])).toThrow(/--dark-share: needs --dark-version/);
    expect(() => parseSimArgs(['--token', 't', '--crash-loop-share', '1.5', '--crash-loop-version', '2.0.0'])).toThrow(/--crash-loop-share/);
  });
});
