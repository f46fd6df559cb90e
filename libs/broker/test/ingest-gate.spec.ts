import { IngestGate } from '../src/ingest-gate';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('IngestGate', () => {
  let gate: IngestGate;
  let held: number;
  beforeEach(() => {
    held = 0;
    gate = new IngestGate({ maxLagMs: 30, releasePerTick: 2 }, () => held++);
    gate.start();
  });
  afterEach(() => gate.stop());

  it('lets publishes straight through while the event loop keeps time', async () => {
    await sleep(30);
    const passed: number[] = [];
    for (let i = 0; i < 5; i++) gate.admit(() => passed.push(i));
    expect(passed).toEqual([0, 1, 2, 3, 4]);
    expect(held).toBe(0);
  });

  it('holds publishes once the loop lags, then releases them in arrival order, a slice per punctual tick', async () => {
    blockEventLoop(80);
    await sleep(0); // the overdue tick runs first and sees the lag
    const passed: number[] = [];
    for (let i = 0; i < 5; i++) gate.admit(() => passed.push(i));
    expect(passed).toEqual([]);
    expect(held).toBe(5);

    // setImmediate runs right after the timers phase, so each look sees what one tick released.
    const seen: number[] = [];
    while (passed.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      if (seen.at(-1) !== passed.length) seen.push(passed.length);
    }
    expect(seen.filter((n) => n > 0)).toEqual([2, 4, 5]);
    expect(passed).toEqual([0, 1, 2, 3, 4]);
    expect(gate.heldCount).toBe(0);
  });

  it('releases everything it holds when stopped', async () => {
    blockEventLoop(80);
    await sleep(0);
    const passed: number[] = [];
    for (let i = 0; i < 3; i++) gate.admit(() => passed.push(i));
    gate.stop();
    expect(passed).toEqual([0, 1, 2]);
  });
});
