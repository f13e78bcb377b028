import { describe, expect, it } from 'vitest';
import { BucketTable } from './table.js';

describe('BucketTable', () => {
  it('holds at most its capacity, forgetting the prefix heard from least recently', () => {
    const t = new BucketTable(3, 5);
    t.get('a', 0); t.get('b', 0); t.get('c', 0);
    t.get('a', 2000).tokens = 0; // heard again after a while: moves to the young end
    t.get('d', 2000); // forgets b, the oldest
    expect(t.size).toBe(3);
    expect(t.evictions).toBe(1);
    expect(t.get('a', 2000).tokens).toBe(0); // a is still there
    expect(t.evictions).toBe(1);
    expect(t.get('b', 2000).tokens).toBe(5); // b starts again with a full bucket, and c goes
    expect(t.evictions).toBe(2);
  });

  it('stays bounded under a flood of unique prefixes', () => {
    const t = new BucketTable(1000, 10);
    for (let i = 0; i < 50_000; i++) t.get(`k${i}`, i);
    expect(t.size).toBe(1000);
    expect(t.evictions).toBe(49_000);
  });
});
