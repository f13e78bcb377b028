import { manualClock } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { HttpTimeout, type HttpGet, type HttpResult } from './http.js';
import { ConsulCounts } from './metrics.js';
import { healthView, type View } from './view.js';
import { Watch, type WatchConfig, type WatchDeps, type WatchTimers } from './watch.js';

async function until(fn: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > ms) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Step = HttpResult | Error;

/** An agent that answers from a script, then holds the last request until the watch stops. */
function scriptedAgent(steps: Step[]) {
  const calls: { path: string; timeout: number }[] = [];
  let release: (() => void) | undefined;
  const idle = new Promise<void>((resolve) => { release = resolve; });
  const get: HttpGet = (path, { timeout, signal }) => {
    calls.push({ path, timeout });
    const step = steps.shift();
    if (step === undefined) {
      release?.();
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
  };
  return { get, calls, done: idle };
}

/** Virtual time: every sleep is recorded and moves the time on at once. */
function virtualTimers(): WatchTimers & { sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => { sleeps.push(Math.round(ms)); t += ms; await Promise.resolve(); },
  };
}

const entry = (node: string, address: string, status = 'passing'): unknown => ({
  Node: { Node: node, Address: address, Datacenter: 'dc1', Meta: {} },
  Service: { ID: node, Service: 'web', Tags: [], Address: '', Port: 80, Weights: { Passing: 1, Warning: 1 } },
  Checks: [{ Status: status }],
});
const ok = (index: number, nodes: string[] = ['a']): HttpResult => ({
  status: 200, index, knownLeader: true, lastContact: 0, body: JSON.stringify(nodes.map((n, i) => entry(n, `10.0.0.${i + 1}`))),
});

const config: WatchConfig = {
  path: '/v1/health/service/web?passing', parse: (b) => healthView(b, true, 'dc1'),
  wait: 60_000, backoffMin: 1000, backoffMax: 30_000, rateInterval: 500,
};

function watch(steps: Step[], over: Partial<WatchConfig> = {}, random = 1) {
  const agent = scriptedAgent(steps);
  const timers = virtualTimers();
  const clock = manualClock();
  const counts = new ConsulCounts();
  const views: { before: View | undefined; after: View }[] = [];
  const w = new Watch('s|web|', { ...config, ...over }, { get: agent.get, clock, timers, random: () => random, counts },
    (self, before) => views.push({ before, after: self.view! }));
  return { w, agent, timers, clock, counts, views };
}

describe('Watch', () => {
  it('follows the index: blocks on the last one, starts over when it goes backwards, takes 0 as 1', async () => {
    const { w, agent, counts } = watch([ok(10), ok(12), ok(5), ok(0), ok(7)]);
    w.start();
    await agent.done;
    w.stop();
    expect(agent.calls.map((c) => c.path)).toEqual([
      '/v1/health/service/web?passing',                              // index 0: answers at once
      '/v1/health/service/web?passing&index=10&wait=60000ms',
      '/v1/health/service/web?passing&index=12&wait=60000ms',
      '/v1/health/service/web?passing',                              // 5 < 12: a restore; start over
      '/v1/health/service/web?passing&index=1&wait=60000ms',         // 0 is never an index to block on
      '/v1/health/service/web?passing&index=7&wait=60000ms',
    ]);
    expect(agent.calls[0]!.timeout).toBe(10_000);
    expect(agent.calls[1]!.timeout).toBe(60_000 + 3750 + 5000);       // wait + wait/16 + slack
    expect(counts.requests.ok).toBe(5);
  });

  it('rate-limits the loop: a burst of 2, then one request per interval, so spurious wakeups cannot spin', async () => {
    const { w, agent, timers } = watch([ok(3), ok(3), ok(3), ok(3), ok(3)]);
    w.start();
    await agent.done;
    w.stop();
    expect(agent.calls).toHaveLength(6);
    expect(timers.sleeps).toEqual([500, 500, 500, 500]);
  });

  it('backs off on errors with jitter, doubling to the cap, and keeps the last view meanwhile', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8500'), { code: 'ECONNREFUSED' });
    const steps: Step[] = [ok(4), refused, new HttpTimeout('no answer'), { status: 500, index: NaN, body: 'No cluster leader', knownLeader: true, lastContact: 0 },
      { status: 403, index: NaN, body: 'ACL not found', knownLeader: true, lastContact: 0 }, refused, refused, refused];
    const { w, agent, timers, counts, clock } = watch(steps, { rateInterval: 0 });
    w.start();
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    await agent.done;
    expect(timers.sleeps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(w.view?.instances).toHaveLength(1);                        // still there
    expect(w.failingSince).toBeDefined();
    expect(w.lastError).toContain('ECONNREFUSED');
    expect(counts.requests).toMatchObject({ ok: 1, error: 4, timeout: 1, http_5xx: 1, forbidden: 1, http_4xx: 0 });
    w.stop();
  });

  it('takes a 403 as a refused token, not an outage: the view is flagged, counted and logged once', async () => {
    const logs: string[] = [];
    const logger = { error: (_o: unknown, m: string) => logs.push(m), warn: () => {}, info: () => {}, debug: () => {} } as unknown as WatchDeps['logger'];
    const steps: Step[] = [ok(4), { status: 403, index: NaN, body: 'ACL not found', knownLeader: true, lastContact: 0 },
      { status: 403, index: NaN, body: 'ACL not found', knownLeader: true, lastContact: 0 }, ok(5)];
    const agent = scriptedAgent(steps);
    const timers = virtualTimers();
    const counts = new ConsulCounts();
    const flags: boolean[] = [];
    const w = new Watch('s|web|', { ...config, rateInterval: 0 }, { get: agent.get, clock: manualClock(), timers, random: () => 1, counts, logger },
      (self) => flags.push(self.forbidden));
    w.start();
    await agent.done;
    expect(counts.requests.forbidden).toBe(2);
    expect(counts.forbidden).toBe(1);                                 // one refusal, however many 403s
    expect(logs).toEqual(['consul: the agent refused the token (403); answering SERVFAIL for these names']);
    expect(w.failingSince).toBeUndefined();                           // max_stale does not apply
    expect(flags).toEqual([false, false]);                            // the 200 after the 403s clears it
    expect(w.forbidden).toBe(false);
    w.stop();
  });

  it('backs off at the cap (with jitter) on a 429: the agent asks for less', async () => {
    const steps: Step[] = [{ status: 429, index: NaN, body: '', knownLeader: true, lastContact: 0 }, ok(3)];
    const { w, agent, timers, counts } = watch(steps, { rateInterval: 0, backoffMax: 15_000 }, 0.5);
    w.start();
    await agent.done;
    expect(timers.sleeps).toEqual([11_250]);                          // 15 s * (1/2 + 0.5/2)
    expect(counts.requests.rate_limited).toBe(1);
    w.stop();
  });

  it('in triggered mode, reads once per wake (wakes merge) and never blocks', async () => {
    const steps: Step[] = [ok(4), ok(9), ok(12)];
    const { w, agent } = watch(steps, { blocking: false, rateInterval: 0 });
    w.start();
    await until(() => agent.calls.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(agent.calls).toHaveLength(1);                              // no wake, no read
    w.wake();
    w.wake();
    await until(() => agent.calls.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(agent.calls).toHaveLength(2);
    expect(agent.calls.every((c) => !c.path.includes('index='))).toBe(true);
    w.stop();
  });

  it('spreads the backoff with jitter (between half and all of the delay)', async () => {
    const { w, agent, timers } = watch([new Error('x'), new Error('x'), new Error('x')], { rateInterval: 0 }, 0);
    w.start();
    await agent.done;
    w.stop();
    expect(timers.sleeps).toEqual([500, 1000, 2000]);
  });

  it('clears the failure once the agent answers again', async () => {
    const { w, agent } = watch([new Error('reset'), ok(9)], { rateInterval: 0 });
    w.start();
    await agent.done;
    w.stop();
    expect(w.failingSince).toBeUndefined();
    expect(w.lastError).toBeUndefined();
    expect(w.index).toBe(9);
  });

  it('settles the first result on an error too, so a first lookup does not wait for nothing', async () => {
    const { w } = watch([{ status: 403, index: NaN, body: 'ACL not found', knownLeader: true, lastContact: 0 }]);
    w.start();
    await w.firstResult(5000);
    expect(w.settled).toBe(true);
    expect(w.view).toBeUndefined();
    expect(w.lastError).toBe('HTTP 403: ACL not found');
    w.stop();
  });

  it('tells the owner each good view with the one before', async () => {
    const { w, agent, views } = watch([ok(1, ['a', 'b']), ok(2, ['a'])]);
    w.start();
    await agent.done;
    w.stop();
    expect(views.map((v) => [v.before?.instances.length, v.after.instances.length])).toEqual([[undefined, 2], [2, 1]]);
    expect(views[1]!.before!.fingerprint).not.toBe(views[1]!.after.fingerprint);
  });

  it('takes a body that is not Consul\'s as a failure', async () => {
    const { w, agent, counts } = watch([{ status: 200, index: 3, body: '{"not":"an array"}', knownLeader: true, lastContact: 0 }], { rateInterval: 0 });
    w.start();
    await agent.done;
    w.stop();
    expect(counts.requests.invalid).toBe(1);
    expect(w.view).toBeUndefined();
  });

  it('answers NXDOMAIN-style (an empty view) when Consul has no path to the datacenter', async () => {
    const { w, agent } = watch([{ status: 500, index: NaN, body: 'No path to datacenter', knownLeader: true, lastContact: 0 }], { rateInterval: 0 });
    w.start();
    await agent.done;
    w.stop();
    expect(w.view?.noDatacenter).toBe(true);
    expect(w.failingSince).toBeUndefined();
  });

  it('stops: the request in flight is aborted and the loop ends', async () => {
    const { w, agent } = watch([ok(5)]);
    w.start();
    await agent.done;
    w.stop();
    await new Promise((r) => setImmediate(r));
    expect(w.stopped).toBe(true);
    expect(agent.calls).toHaveLength(2);
  });
});

describe('healthView', () => {
  const body = [
    entry('a', '10.0.0.1'),
    entry('b', '10.0.0.2', 'warning'),
    entry('c', '10.0.0.3', 'critical'),
    { ...(entry('d', '10.0.0.4') as object), Service: { ID: 'd', Service: 'web', Tags: ['Primary'], Address: '2001:db8::4', Port: 81, Weights: { Passing: 10, Warning: 1 } } },
  ];
  it('drops critical instances; with onlyPassing warnings too', () => {
    expect(healthView(body, true, 'dc1').instances.map((i) => i.node)).toEqual(['a', 'd']);
    expect(healthView(body, false, 'dc1').instances.map((i) => i.node)).toEqual(['a', 'b', 'd']);
  });
  it('takes the service address over the node address, lower-cases tags, and reads weights', () => {
    const d = healthView(body, true, 'dc1').instances[1]!;
    expect(d).toMatchObject({ node: 'd', address: '2001:db8::4', family: 6, ownAddress: true, port: 81, tags: ['primary'], weight: 10, datacenter: 'dc1',
      byType: { a: '2001:db8::4', aaaa: '2001:db8::4', any: '2001:db8::4' }, service: 'web', namespace: '' });
  });
  it('plans SRV targets as Consul 1.19+: node name, .addr for a differing address, the service name for the node\'s own', () => {
    const n = entry('g', '10.0.0.7') as { Node: Record<string, unknown> };
    const plan = (service: Record<string, unknown>, node: Record<string, unknown> = {}): unknown =>
      healthView([{ ...n, Node: { ...n.Node, ...node }, Service: { Service: 'web', Port: 1, ...service } }], false, 'dc1').instances[0]!.srv;
    expect(plan({ Address: '' })).toEqual({ target: 'node', ip: '10.0.0.7', family: 4 });
    expect(plan({ Address: '10.9.0.7' })).toEqual({ target: 'addr', ip: '10.9.0.7', family: 4 });
    expect(plan({ Address: '10.0.0.7' })).toEqual({ target: 'service', ip: '10.0.0.7', family: 4 });
    expect(plan({ Address: 'db.example.com' })).toEqual({ target: 'host', host: 'db.example.com' });
    // Tagged addresses, any family accepted: lan_ipv6 first, on the service, else on the node.
    expect(plan({ Address: '10.0.0.7', TaggedAddresses: { lan_ipv6: { Address: 'fd00::7', Port: 1 } } })).toEqual({ target: 'addr', ip: 'fd00::7', family: 6 });
    expect(plan({ Address: '' }, { TaggedAddresses: { lan_ipv6: 'fd00::77' } })).toEqual({ target: 'node', ip: 'fd00::77', family: 6 });
  });
  it('translates to the wan tagged addresses, and the wan port, for another datacenter (translate_wan_addrs)', () => {
    const n = entry('h', '10.0.0.8') as { Node: Record<string, unknown> };
    const node = { ...n.Node, TaggedAddresses: { lan: '10.0.0.8', lan_ipv4: '10.0.0.8', wan: '198.51.100.8', wan_ipv4: '198.51.100.8' } };
    const bare = healthView([{ ...n, Node: node, Service: { Service: 'web', Port: 80, Address: '' } }], false, 'dc1').instances[0]!;
    expect(bare.byType.a).toBe('10.0.0.8');
    expect(bare.wan).toEqual({ byType: { a: '198.51.100.8', aaaa: '198.51.100.8', any: '198.51.100.8' }, srv: { target: 'node', ip: '198.51.100.8', family: 4 }, port: 80 });
    const own = healthView([{ ...n, Node: node, Service: { Service: 'web', Port: 80, Address: '10.9.0.8',
      TaggedAddresses: { lan_ipv4: { Address: '10.9.0.8', Port: 80 }, wan: { Address: '203.0.113.8', Port: 8443 } } } }], false, 'dc1').instances[0]!;
    // `wan` replaces the plain address; lan_ipv4 stays unless wan_ipv4 is tagged (Consul's TranslateServiceAddress).
    expect(own.wan.byType).toEqual({ a: '10.9.0.8', aaaa: '203.0.113.8', any: '10.9.0.8' });
    expect(own.wan.port).toBe(8443);
  });
  it('applies tagged lan_ipv4 / lan_ipv6 per query type: the service\'s when it has an address, else the node\'s', () => {
    const dual = { ...(entry('e', '10.0.0.5') as object), Service: { Service: 'web', Port: 1, Address: '10.9.0.5', TaggedAddresses: { lan_ipv4: { Address: '10.9.0.5', Port: 1 }, lan_ipv6: { Address: 'fd00::5', Port: 1 } } } };
    expect(healthView([dual], false, 'dc1').instances[0]!.byType).toEqual({ a: '10.9.0.5', aaaa: 'fd00::5', any: 'fd00::5' });
    const n = entry('f', '10.0.0.6') as { Node: Record<string, unknown> };
    const onNode = { ...n, Node: { ...n.Node, TaggedAddresses: { lan: '10.0.0.6', lan_ipv6: 'fd00::6' } }, Service: { Service: 'web', Port: 1, Address: '' } };
    expect(healthView([onNode], false, 'dc1').instances[0]!.byType).toEqual({ a: '10.0.0.6', aaaa: 'fd00::6', any: 'fd00::6' });
    // A service address of one family, without a tag for the other: no fallback to the node (Consul's rule).
    const v4only = { ...n, Node: { ...n.Node, TaggedAddresses: { lan_ipv6: 'fd00::6' } }, Service: { Service: 'web', Port: 1, Address: '10.9.0.6' } };
    expect(healthView([v4only], false, 'dc1').instances[0]!.byType.aaaa).toBe('10.9.0.6');
  });
  it('uses the warning weight for a warning instance', () => {
    expect(healthView([{ ...(entry('b', '10.0.0.2', 'warning') as object), Service: { Service: 'web', Port: 1, Weights: { Passing: 5, Warning: 2 } } }], false, 'dc1').instances[0]!.weight).toBe(2);
  });
  it('refuses what is not an array of entries', () => {
    expect(() => healthView({}, true, 'dc1')).toThrow('expected a JSON array');
    expect(() => healthView([1], true, 'dc1')).toThrow('expected {Node, Service, Checks} entries');
  });
});
