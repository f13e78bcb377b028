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
      return { status: 200, index: b.index, body: JSON.stringify(b.body), knownLeader: true, lastContact: 0 };
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
  const options = resolveOptions({ rateInterval: 0, onlyPassing: true, ...over }, (t) => new Token(t, 'test', 0).zone());
  const c = new ConsulCatalog(options, { get: agent.get, clock, counts, logger: pino({ level: 'silent' }) });
  return { c, agent, clock, counts };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const FEED = '/v1/health/state/any';
const check = (node: string, service: string, status: string, index: number) => ({
  Node: node, CheckID: `service:${service}-${node}`, ServiceID: `${service}-${node}`, ServiceName: service, Status: status,
  ServiceTags: [], ModifyIndex: index,
});
const webReads = (paths: string[]): number => paths.filter((p) => p.startsWith('/v1/health/service/web')).length;

describe('ConsulCatalog', () => {
  it('reads a view again when the change feed shows its service changed, and drops its names only when its answers changed', async () => {
    const { c, agent, clock, counts } = catalog();
    const { store, flushed } = fakeStore();
    agent.set(FEED, 4, [check('a', 'web', 'passing', 4), check('b', 'web', 'passing', 4), check('d', 'db', 'passing', 4)]);
    c.start(store);
    await tick();
    agent.set('/v1/health/service/web', 5, [entry('a', '10.0.0.1'), entry('b', '10.0.0.2')]);
    const w = c.service('web', undefined, clock.now());
    await w.firstResult(1000);
    for (const n of ['web.service.consul.', 'primary.web.service.consul.', 'a.node.consul.']) c.answered(w, n);
    // A wakeup with the same checks, then a change of another service: no read of web.
    agent.set(FEED, 6, [check('a', 'web', 'passing', 4), check('b', 'web', 'passing', 4), check('d', 'db', 'passing', 4)]);
    await tick();
    agent.set(FEED, 7, [check('a', 'web', 'passing', 4), check('b', 'web', 'passing', 4), check('d', 'db', 'critical', 7)]);
    await tick();
    expect(webReads(agent.paths)).toBe(1);
    // A check of web moves, the answers stay: one read, nothing dropped.
    agent.set(FEED, 8, [check('a', 'web', 'passing', 8), check('b', 'web', 'passing', 4), check('d', 'db', 'critical', 7)]);
    await tick();
    expect(webReads(agent.paths)).toBe(2);
    expect(flushed).toEqual([]);
    // b goes critical: read again, answers change, names dropped.
    agent.set('/v1/health/service/web', 9, [entry('a', '10.0.0.1')]);
    agent.set(FEED, 9, [check('a', 'web', 'passing', 8), check('b', 'web', 'critical', 9), check('d', 'db', 'critical', 7)]);
    await tick();
    expect(flushed).toEqual(['web.service.consul.', 'primary.web.service.consul.', 'a.node.consul.']);
    expect(counts.changes).toBe(1);
    expect(counts.feedRefetches).toBe(2);
    expect(w.answered.size).toBe(0);
    expect(agent.paths.filter((p) => p.startsWith('/v1/health/service/'))).toEqual(Array(3).fill('/v1/health/service/web?passing&stale'));
    expect(new Set(agent.paths.filter((p) => p.startsWith(FEED)))).toEqual(new Set([
      `${FEED}?stale`, `${FEED}?stale&index=4&wait=300000ms`, `${FEED}?stale&index=6&wait=300000ms`,
      `${FEED}?stale&index=7&wait=300000ms`, `${FEED}?stale&index=8&wait=300000ms`, `${FEED}?stale&index=9&wait=300000ms`,
    ]));
    c.stop();
  });

  it('a node check that moves reads every service with an instance on that node', async () => {
    const { c, agent, clock } = catalog();
    const serf = (status: string, index: number) => ({ Node: 'a', CheckID: 'serfHealth', ServiceName: '', Status: status, ModifyIndex: index });
    agent.set(FEED, 4, [serf('passing', 4), check('a', 'web', 'passing', 4), check('a', 'api', 'passing', 4), check('z', 'db', 'passing', 4)]);
    c.start(undefined);
    await tick();
    for (const name of ['web', 'api', 'db']) await c.service(name, undefined, clock.now()).firstResult(1000);
    const before = agent.paths.length;
    agent.set(FEED, 5, [serf('critical', 5), check('a', 'web', 'passing', 4), check('a', 'api', 'passing', 4), check('z', 'db', 'passing', 4)]);
    await tick();
    expect(agent.paths.slice(before).filter((p) => !p.startsWith(FEED)).sort()).toEqual(['/v1/health/service/api?passing&stale', '/v1/health/service/web?passing&stale']);
    c.stop();
  });

  it('keeps its reads within the pool: max_connections 4 is one feed and at most 2 reads at once', async () => {
    const { c, clock } = catalog({ http: 'http://127.0.0.1:8500', maxConnections: 4 });
    c.start(undefined);
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.service(`s${i}`, undefined, clock.now()).firstResult(1000)));
    expect(c.pool.peak).toBeLessThanOrEqual(2);
    expect([...c.feeds()]).toHaveLength(1);
    c.stop();
  });

  it('asks with the consistency mode: ?stale by default, nothing for default, ?consistent', async () => {
    for (const [consistency, suffix] of [['default', ''], ['consistent', '&consistent']] as const) {
      const { c, agent, clock } = catalog({ http: 'http://127.0.0.1:8500', consistency });
      c.start(undefined);
      await c.service('web', undefined, clock.now()).firstResult(1000);
      expect(agent.paths).toContain(`/v1/health/service/web?passing${suffix}`);
      c.stop();
    }
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
    agent.set(FEED, 6, [check('b', 'web', 'critical', 6)]);
    await tick();
    expect(flushed).toHaveLength(4096 + 4);
    expect(flushed.slice(4096)).toEqual(['web.service.consul.', 'x1.web.service.consul.', '_web._tcp.service.consul.', 'b.node.consul.']);
    c.stop();
  });

  it('keys watches by datacenter, asks with &dc=, and asks nodes it does not know on their own', async () => {
    const { c, agent, clock } = catalog({ http: 'http://127.0.0.1:8500', datacenter: 'east', onlyPassing: false, catalogFeed: false });
    c.start(undefined);
    expect(c.service('web', undefined, clock.now())).toBe(c.service('web', 'east', clock.now()));
    c.service('web', 'west', clock.now());
    const { node } = c.node('db-1', undefined, clock.now());
    expect(node).toBeUndefined();
    await tick();
    expect(agent.paths.filter((p) => !p.includes('index=') && !p.startsWith(FEED)).sort())
      .toEqual(['/v1/catalog/node/db-1?stale&dc=east', '/v1/health/service/web?stale&dc=east', '/v1/health/service/web?stale&dc=west']);
    // A change feed for each datacenter, while there is room (max_connections 4: two).
    expect(agent.paths.filter((p) => p.startsWith(FEED) && !p.includes('index=')).sort()).toEqual([`${FEED}?stale&dc=east`, `${FEED}?stale&dc=west`]);
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
