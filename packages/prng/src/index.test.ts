import { describe, expect, it } from 'vitest';
import { mulberry32 } from './index.js';

describe('mulberry32', () => {
  it('replays a seed, and other seeds give other sequences', () => {
    const take = (seed: number) => Array.from({ length: 50 }, ((r) => () => r())(mulberry32(seed)));
    expect(take(42)).toEqual(take(42));
    expect(take(43)).not.toEqual(take(42));
    expect(take(2 ** 32 + 42)).toEqual(take(42)); // the seed is taken as 32 bits
  });

  it('gives the sequence the three copies it replaced gave (recorded), so seeds kept in tests keep their meaning', () => {
    const r = mulberry32(0);
    expect(Array.from({ length: 3 }, () => Math.round(r() * 2 ** 32))).toEqual([1144304738, 1416247, 958946056]);
  });

  it('stays in [0, 1) and spreads evenly over ten buckets', () => {
    const r = mulberry32(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });
});
