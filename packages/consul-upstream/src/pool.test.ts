import { describe, expect, it } from 'vitest';
import type { HttpGet, HttpResult } from './http.js';
import { ReadPool } from './pool.js';

/** A get whose answers the test releases one by one; it records the order requests started. */
function held(): { get: HttpGet; started: string[]; release: () => void } {
  const started: string[] = [];
  const waiting: Array<() => void> = [];
  const get: HttpGet = (path) => new Promise<HttpResult>((resolve) => {
    started.push(path);
    waiting.push(() => resolve({ status: 200, index: 1, body: '[]', knownLeader: true, lastContact: 0 }));
  });
  return { get, started, release: () => waiting.shift()?.() };
}

const opts = () => ({ timeout: 1000, signal: new AbortController().signal });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReadPool', () => {
  it('keeps at most `size` requests in flight, and serves view reads before waiting probes', async () => {
    const pool = new ReadPool(1);
    const h = held();
    const read = pool.wrap(h.get);
    const probe = pool.wrap(h.get, true);
    const all = [read('/a', opts()), probe('/p1', opts()), probe('/p2', opts()), read('/b', opts())];
    await tick();
    expect(h.started).toEqual(['/a']);
    expect(pool.waiting).toBe(3);
    for (let i = 0; i < 4; i++) { h.release(); await tick(); await tick(); }
    await Promise.all(all);
    expect(h.started).toEqual(['/a', '/b', '/p1', '/p2']);       // /b came after the probes, and went first
    expect(pool.peak).toBe(1);
  });

  it('lets an aborted waiter leave its queue', async () => {
    const pool = new ReadPool(1);
    const h = held();
    const probe = pool.wrap(h.get, true);
    const first = probe('/p1', opts());
    const ctl = new AbortController();
    const second = probe('/p2', { timeout: 1000, signal: ctl.signal });
    ctl.abort();
    await expect(second).rejects.toThrow('aborted');
    expect(pool.waiting).toBe(0);
    h.release();
    await first;
  });
});
