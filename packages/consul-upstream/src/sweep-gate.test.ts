import { describe, expect, it } from 'vitest';
import { SweepGate } from './sweep-gate.js';

describe('SweepGate', () => {
  it('lets the first sweep of a scope start at once and the next one a full interval later', () => {
    let t = 1000;
    const g = new SweepGate(15_000, 50, () => t);
    expect(g.delay('dc1')).toBe(0);
    g.started('dc1');
    t += 4000;
    expect(g.delay('dc1')).toBe(11_000);
    expect(g.delay('dc2')).toBe(0);           // scopes are limited apart
    t += 11_000;
    expect(g.delay('dc1')).toBe(0);
  });

  it('sends one second worth of probes at once, then paces them at the rate', () => {
    let t = 0;
    const g = new SweepGate(15_000, 50, () => t);
    const waits = Array.from({ length: 150 }, () => g.take());
    expect(waits.filter((w) => w === 0)).toHaveLength(50);
    // The 100 others go out 20 ms apart: the last two seconds after the burst.
    expect(waits[50]).toBeCloseTo(20);
    expect(waits[149]).toBeCloseTo(2000);
    // A quiet second refills the bucket, no more than its size.
    t += 10_000;
    const again = Array.from({ length: 60 }, () => g.take());
    expect(again.filter((w) => w === 0)).toHaveLength(50);
  });
});
