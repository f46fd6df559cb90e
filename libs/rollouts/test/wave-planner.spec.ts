import { type PlanTarget, cumulativeWaveEnds, planWaves, spreadOrder } from '../src/wave-planner';

function fleet(): PlanTarget[] {
  const targets: PlanTarget[] = [];
  for (let i = 0; i < 1000; i++) {
    const site = ['syd', 'mel', 'per', 'bne'][i % 4];
    targets.push({ deviceId: `dev-${String(i).padStart(4, '0')}`, type: i < 800 ? 'cam' : 'gw', tags: [`site:${site}`], groupIds: [] });
  }
  return targets;
}

describe('wave planner', () => {
  it('sizes waves from cumulative percentages, rounding up so a small first wave is not empty', () => {
    expect(cumulativeWaveEnds(1000, [1, 10, 50, 100])).toEqual([10, 100, 500, 1000]);
    expect(cumulativeWaveEnds(20, [1, 10, 100])).toEqual([1, 2, 20]);
    expect(cumulativeWaveEnds(3, [1, 10, 50, 100])).toEqual([1, 1, 2, 3]);
    expect(cumulativeWaveEnds(0, [50, 100])).toEqual([0, 0]);
  });

  it('puts every target in exactly one wave with the planned sizes', () => {
    const plan = planWaves('r1', fleet(), [1, 10, 50, 100]);
    expect(new Set(plan.map((job) => job.deviceId)).size).toBe(1000);
    const sizes = [0, 1, 2, 3].map((wave) => plan.filter((job) => job.wave === wave).length);
    expect(sizes).toEqual([10, 90, 400, 500]);
    expect(plan.map((job) => job.position)).toEqual([...Array(1000).keys()]);
  });

  it('is deterministic for the same seed and targets, whatever their input order', () => {
    const a = planWaves('seed', fleet(), [10, 100]);
    const b = planWaves('seed', [...fleet()].reverse(), [10, 100]);
    expect(b).toEqual(a);
    const c = planWaves('other seed', fleet(), [10, 100]);
    expect(c.filter((j) => j.wave === 0).map((j) => j.deviceId)).not.toEqual(a.filter((j) => j.wave === 0).map((j) => j.deviceId));
  });

  it('spreads each wave over types and tags in proportion, not the first devices by id', () => {
    const plan = planWaves('r1', fleet(), [10, 100]);
    const byId = new Map(fleet().map((t) => [t.deviceId, t]));
    const first = plan.filter((job) => job.wave === 0).map((job) => byId.get(job.deviceId)!);
    expect(first).toHaveLength(100);
    const gateways = first.filter((t) => t.type === 'gw').length;
    expect(gateways).toBeGreaterThanOrEqual(17);
    expect(gateways).toBeLessThanOrEqual(23);
    for (const site of ['syd', 'mel', 'per', 'bne']) {
      const count = first.filter((t) => t.tags.includes(`site:${site}`)).length;
      expect(count).toBeGreaterThanOrEqual(22);
      expect(count).toBeLessThanOrEqual(28);
    }
    const ids = first.map((t) => t.deviceId).sort();
    expect(ids).not.toEqual(fleet().slice(0, 100).map((t) => t.deviceId));
  });

  it('represents a 5% stratum in a 5% wave', () => {
    const targets = fleet().map((t, i) => ({ ...t, groupIds: i % 20 === 7 ? ['g-lab'] : [] }));
    const first = planWaves('r2', targets, [5, 100]).filter((job) => job.wave === 0);
    const lab = new Set(targets.filter((t) => t.groupIds.length).map((t) => t.deviceId));
    expect(first.filter((job) => lab.has(job.deviceId)).length).toBeGreaterThanOrEqual(2);
  });

  it('orders indices so every prefix is evenly spread', () => {
    expect(spreadOrder(8)).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
    expect(spreadOrder(5)).toEqual([0, 3, 4, 1, 2]);
    expect(spreadOrder(1)).toEqual([0]);
    expect(spreadOrder(0)).toEqual([]);
  });
});
