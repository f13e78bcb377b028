import { describe, expect, it } from 'vitest';
import { manualTimers } from './units.js';

describe('manualTimers', () => {
  it('runs each timer at its own instant, in order, ties in the order they were set', () => {
    const t = manualTimers(0);
    const ran: string[] = [];
    t.setTimeout(() => ran.push(`b@${t.now()}`), 20);
    t.setTimeout(() => ran.push(`a@${t.now()}`), 10);
    t.setTimeout(() => ran.push(`c@${t.now()}`), 20);
    t.advance(19);
    expect(ran).toEqual(['a@10']);
    expect(t.now()).toBe(19);
    t.advance(1);
    expect(ran).toEqual(['a@10', 'b@20', 'c@20']);
    expect(t.pending).toBe(0);
  });

  it('runs a timer set by a timer in the same advance when it falls due within it; a cleared one never', () => {
    const t = manualTimers(100);
    const ran: number[] = [];
    const gone = t.setTimeout(() => ran.push(-1), 5);
    t.setTimeout(() => { ran.push(t.now()); t.setTimeout(() => ran.push(t.now()), 30); }, 10);
    t.clearTimeout(gone);
    t.advance(39);
    expect(ran).toEqual([110]);
    expect(t.pending).toBe(1);
    t.advance(1);
    expect(ran).toEqual([110, 140]);
    expect(t.now()).toBe(140);
  });
});
