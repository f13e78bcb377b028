import { manualClock, Token } from '@dnsmesh/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConsulCatalog } from './catalog.js';
import type { HttpGet, HttpResult } from './http.js';
import { ConsulCounts } from './metrics.js';
import { resolveOptions } from './options.js';
import type { WatchTimers } from './watch.js';

/** Timers whose time moves only when the test says: sleeps end at `advance`. */
function manualTimers() {
  let t = 0;
  const sleeping: { at: number; done: () => void }[] = [];
  const timers: WatchTimers = {
    now: () => t,
    sleep: (ms, signal) => new Promise<void>((resolve) => {
      if (ms <= 0 || signal.aborted) { resolve(); return; }
      sleeping.push({ at: t + ms, done: resolve });
      signal.addEventListener('abort', () => resolve(), { once: true });
    }),
  };
  const advance = async (ms: number): Promise<void> => {
    t += ms;
    for (const s of sleeping.filter((x) => x.at <= t)) { sleeping.splice(sleeping.indexOf(s), 1); s.done(); }
    await tick();
  };
  return { timers, advance };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** An agent with a services index per path; blocking requests on the feeds wait for `move`. */
function agent() {
  const index = new Map<string, number>();
  const waiting: (() => void)[] = [];
  const probes: string[] = [];
  const get: HttpGet = (path, { signal }) => {
    const key = path.split('?')[0]!;
    if (path.includes('filter=')) probes.push(key);
    const answer = (): HttpResult => {
      const body = key === '/v1/catalog/services' ? { a: [], b: [] } : [];
      return { status: 200, index: index.get(key) ?? 1, body: JSON.stringify(body), knownLeader: true, lastContact: 0 };
    };
    const blocking = /[?&]index=(\d+)/.exec(path);
    if (blocking === null || Number(blocking[1]) < (index.get(key) ?? 1)) return Promise.resolve(answer());
    return new Promise((resolve, reject) => {
      waiting.push(() => resolve(answer()));
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  };
  /** A write at `at` that touches no check: the service's own index and the catalog's move. */
  const write = (service: string, at: number): void => {
    index.set(`/v1/health/service/${service}`, at);
    index.set('/v1/catalog/services', at);
    for (const w of waiting.splice(0)) w();
  };
  return { get, probes, write };
}

describe('probe sweeps', () => {
  it('runs the first sweep at once, defers the next to probe_interval, and probes only views not read since', async () => {
    const a = agent();
    const { timers, advance } = manualTimers();
    const counts = new ConsulCounts();
    const options = resolveOptions({ http: 'http://127.0.0.1:8500', rateInterval: 0, probeInterval: 15_000, probeRate: 50 }, (t) => new Token(t, 'test', 0).zone());
    const c = new ConsulCatalog(options, { get: a.get, clock: manualClock(), counts, logger: pino({ level: 'silent' }), timers });
    c.start(undefined);
    c.service('a', undefined, 0);
    c.service('b', undefined, 0);
    await tick();
    // A write to `a` without checks: after the settle time, one sweep probes both views; `a` is read again.
    a.write('a', 5);
    await tick();
    await advance(100);
    expect(counts.sweeps.run).toBe(1);
    expect(a.probes.sort()).toEqual(['/v1/health/service/a', '/v1/health/service/b']);
    await tick();
    // A write to `b` soon after: the sweep waits for the interval, then probes the views not read since.
    a.write('b', 7);
    await tick();
    await advance(100);
    expect(counts.sweeps.deferred).toBe(1);
    expect(c.sweepsDeferred).toBe(1);
    expect(a.probes).toHaveLength(2);
    await advance(14_000);
    expect(a.probes).toHaveLength(2);
    await advance(1000);
    expect(counts.sweeps.run).toBe(2);
    // `a` was read again at index 5 after the catalog showed 5 (fresh up to 5, not 7): both probed again.
    expect(a.probes).toHaveLength(4);
    expect(counts.probes).toBe(4);
    c.stop();
  });
});
