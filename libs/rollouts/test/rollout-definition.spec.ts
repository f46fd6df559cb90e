import { InvalidInputError } from '@edgefleet/common';
import { type RolloutRequest, buildDefinition } from '../src/rollout-definition';

const base: RolloutRequest = { name: 'r', type: 'config', config: { a: 1 }, target: { deviceIds: ['d1', 'd1'] } };

describe('rollout definition', () => {
  it('fills defaults and de-duplicates targets', () => {
    const definition = buildDefinition(base);
    expect(definition.target.deviceIds).toEqual(['d1']);
    expect(definition.strategy).toEqual({ waves: [100], maxInFlight: 100, deviceTimeoutSeconds: 600, retries: 0, bakeTimeSeconds: 0 });
  });

  it('keeps includeNewDevices only when asked for', () => {
    expect(buildDefinition({ ...base, target: { selector: { tag: ['site:a'] }, includeNewDevices: true } }).target).toEqual({ deviceIds: [], groupIds: [], selector: { tag: ['site:a'] }, includeNewDevices: true });
    expect(buildDefinition({ ...base, target: { selector: { tag: ['site:a'] }, includeNewDevices: false } }).target).not.toHaveProperty('includeNewDevices');
  });

  it.each([
    [{ strategy: { waves: [10, 5, 100] } }, 'strategy.waves'],
    [{ strategy: { waves: [10, 50] } }, 'strategy.waves'],
    [{ strategy: { waves: [0, 100] } }, 'strategy.waves'],
    [{ target: {} }, 'target'],
    [{ target: { deviceIds: ['d1'], includeNewDevices: true } }, 'target.includeNewDevices'],
    [{ type: 'firmware' as const }, 'artifactId'],
    [{ config: undefined }, 'config'],
    [{ schedule: { startAt: 'tomorrow' } }, 'schedule.startAt'],
    [{ schedule: { window: { cron: '0 2 * *', durationMinutes: 60 } } }, 'schedule.window.cron'],
    [{ schedule: { window: { cron: '0 2 * * *', durationMinutes: 60, timeZone: 'Nowhere/City' } } }, 'schedule.window.timeZone'],
  ])('rejects %j naming %s', (change, field) => {
    let error: unknown;
    try {
      buildDefinition({ ...base, ...change } as RolloutRequest);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });
});
