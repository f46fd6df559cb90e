import { Registry } from 'prom-client';
import { counterWithDeferred } from '../src/deferred-count';

describe('counterWithDeferred', () => {
  it('adds the deferred counts to the labelled series each time the registry is collected', async () => {
    const registry = new Registry();
    const { counter, deferred } = counterWithDeferred({ name: 'test_outcomes_total', help: 'h', labelNames: ['outcome'] as const, registers: [registry] }, { outcome: 'hot' });
    counter.inc({ outcome: 'cold' });
    deferred.inc();
    deferred.inc();
    deferred.inc();
    expect(await registry.metrics()).toContain('test_outcomes_total{outcome="hot"} 3');
    deferred.inc();
    deferred.inc();
    const text = await registry.metrics();
    expect(text).toContain('test_outcomes_total{outcome="hot"} 5');
    expect(text).toContain('test_outcomes_total{outcome="cold"} 1');
  });

  it('counts into the unlabelled counter when no labels are given', async () => {
    const registry = new Registry();
    const { deferred } = counterWithDeferred({ name: 'test_plain_total', help: 'h', registers: [registry] });
    deferred.inc();
    deferred.inc();
    expect(await registry.metrics()).toContain('test_plain_total 2');
  });
});
