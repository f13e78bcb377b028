import type { CacheStore } from '@dnsmesh/cache';
import { manualClock, Token } from '@dnsmesh/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConsulCatalog } from './catalog.js';
import type { HttpGet, HttpResult } from './http.js';
import { ConsulCounts } from './metrics.js';
import { resolveOptions } from './options.js';

/** An agent whose answer to each path the test sets; a blocking request waits for the next set. */
function fakeAgent() {
  const bodies = new Map<string, { index: number; body: unknown }>();
  const waiting: (() => void)[] = [];
  const paths: string[] = [];
  const get: HttpGet = (path, { signal }) => {
    paths.push(path);
    const key = path.split('?')[0]!;
    const blocking = /[?&]index=(\d+)/.exec(path);
    const answer = (): HttpResult => {
      const b = bodies.get(key) ?? { index: 1, body: key.includes('/catalog/node/') ? null : [] };
      return { status: 200, index: b.index, body: JSON.stringify(b.body) };
    };
    const current = bodies.get(key)?.index ?? 1;
    if (blocking === null || Number(blocking[1]) < current) return Promise.resolve(answer());
    return new Promise((resolve, reject) => {
      waiting.push(() => resolve(answer()));
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  };
  return {
    get, paths,
    set(path: string, index: number, body: unknown) { bodies.set(path, { index, body }); for (const w of waiting.splice(0)) w(); },
  };
}

/** A store that records what is flushed; entries() lists what the test put. */
function fakeStore(names: string[] = []) {
  const flushed: string[] = [];
  const store = {
    flush: (name?: string) => { flushed.push(name!); return 1; },
    *entries() { for (const name of names) yield { name, type: 1 }; },
  };
  return { store: store as unknown as CacheStore, flushed };
}

const entry = (node: string, address: string) => ({
  Node: { Node: node, Address: address, Datacenter: 'dc1', Meta: {} },
  Service: { Service: 'web', Tags: ['primary'], Address: '', Port: 80 }, Checks: [],
});

function catalog(over: Parameters<typeof resolveOptions>[0] = { http: 'http://127.0.0.1:8500' }) {
  const agent = fakeAgent();
  const clock = manualClock();
  const counts = new ConsulCounts();
  const options = resolveOptions({ rateInterval: 0, ...over }, (t) => new Token(t, 'test', 0).zone());
  const c = new ConsulCatalog(options, { get: agent.get, clock, counts, logger: pino({ level: 'silent' }) });
  return { c, agent, clock, counts };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('ConsulCatalog', () => {
  it('drops the names a watch answered when its answers change, and nothing on a wakeup that changes none', async () => {
    const { c, agent, clock, counts } = catalog();
    const { store, flushed } = fakeStore();
    c.start(store);
    agent.set('/v1/health/service/web', 5, [entry('a', '10.0.0.1'), entry('b', '10.0.0.2')]);
    const w = c.service('web', undefined, clock.now());
    await w.firstResult(1000);
    for (const n of ['web.service.consul.', 'primary.web.service.consul.', 'a.node.consul.']) c.answered(w, n);
    agent.set('/v1/health/service/web', 6, [entry('a', '10.0.0.1'), entry('b', '10.0.0.2')]);   // same answers
    await tick();
    expect(flushed).toEqual([]);
    agent.set('/v1/health/service/web', 7, [entry('a', '10.0.0.1')]);
    await tick();
    expect(flushed).toEqual(['web.service.consul.', 'primary.web.service.consul.', 'a.node.consul.']);
    expect(counts.changes).toBe(1);
    expect(w.answered.size).toBe(0);
    expect(agent.paths).toEqual([
      '/v1/health/service/web?passing',
      '/v1/health/service/web?passing&index=5&wait=300000ms',
      '/v1/health/service/web?passing&index=6&wait=300000ms',
      '/v1/health/service/web?passing&index=7&wait=300000ms',
    ]);
    c.stop();
  });

  it('past 4096 names, scans the cache for names of the watch instead', async () => {
    const { c, agent, clock } = catalog();
    const cached = ['web.service.consul', 'x1.web.service.consul.', '_web._tcp.service.consul.', 'db.service.consul.', 'b.node.consul.', 'example.org.'];
    const { store, flushed } = fakeStore(cached);
    c.start(store);
    agent.set('/v1/health/service/web', 5, [entry('a', '10.0.0.1'), entry('b', '10.0.0.2')]);
    const w = c.service('web', undefined, clock.now());
    await w.firstResult(1000);
    for (let i = 0; i < 4100; i++) c.answered(w, `t${i}.web.service.consul.`);
    expect(w.overflow).toBe(true);
    agent.set('/v1/health/service/web', 6, [entry('a', '10.0.0.1')]);
    await tick();
    expect(flushed).toHaveLength(4096 + 4);
    expect(flushed.slice(4096)).toEqual(['web.service.consul.', 'x1.web.service.consul.', '_web._tcp.service.consul.', 'b.node.consul.']);
    c.stop();
  });

  it('keys watches by datacenter, asks with &dc=, and asks nodes it does not know on their own', async () => {
    const { c, agent, clock } = catalog({ http: 'http://127.0.0.1:8500', datacenter: 'east', onlyPassing: false });
    c.start(undefined);
    expect(c.service('web', undefined, clock.now())).toBe(c.service('web', 'east', clock.now()));
    c.service('web', 'west', clock.now());
    const { node } = c.node('db-1', undefined, clock.now());
    expect(node).toBeUndefined();
    await tick();
    expect(agent.paths.filter((p) => !p.includes('index=')).sort()).toEqual(['/v1/catalog/node/db-1?dc=east', '/v1/health/service/web?dc=east', '/v1/health/service/web?dc=west']);
    expect(c.size).toBe(3);
    c.stop();
    expect(c.size).toBe(0);
  });

  it('stops idle watches and drops their names', async () => {
    const { c, agent, clock, counts } = catalog({ http: 'http://127.0.0.1:8500', idle: 60_000 });
    const { store, flushed } = fakeStore();
    c.start(store);
    agent.set('/v1/health/service/web', 5, [entry('a', '10.0.0.1')]);
    const w = c.service('web', undefined, clock.now());
    await w.firstResult(1000);
    c.answered(w, 'web.service.consul.');
    clock.advance(30_000);
    c.service('web', undefined, clock.now());          // asked again: the idle time starts over
    clock.advance(59_000);
    expect(c.sweep(clock.now())).toBe(0);
    clock.advance(2000);
    expect(c.sweep(clock.now())).toBe(1);
    expect(w.stopped).toBe(true);
    expect(flushed).toEqual(['web.service.consul.']);
    expect(counts).toMatchObject({ watches: 0, watchesIdled: 1, watchesStarted: 1 });
    c.stop();
  });

  it('lets a watch of a made-up name go after a minute, whatever idle says', async () => {
    const { c, clock } = catalog({ http: 'http://127.0.0.1:8500', idle: 600_000 });
    c.start(undefined);
    const w = c.service('nosuch', undefined, clock.now());
    await w.firstResult(1000);
    expect(w.view?.instances).toEqual([]);
    clock.advance(61_000);
    expect(c.sweep(clock.now())).toBe(1);
    c.stop();
  });
});
