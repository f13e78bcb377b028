import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { after, createServer, DnsMessage, manualTimers, QueryContext, type Plugin, type PluginInput, type QueryState, type Timers } from '@dnsmesh/core';
import { buildQuery, fakeUpstream, freePort, query, type FakeUpstream, type FakeUpstreamOptions, type RecordTable } from '@dnsmesh/testkit';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ForwardPlugin } from './handler.js';
import { forward } from './index.js';
import { RTO, type ForwardInput } from './options.js';

const TABLE: RecordTable = {
  'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] },
  'www.example.test A': { cname: 'edge.example.test', ttl: 60 },
  'edge.example.test CNAME': { cname: 'web.service.consul', ttl: 60 },
  'big.service.consul A': { ttl: 30, data: Array.from({ length: 40 }, (_, i) => `10.1.0.${i + 1}`) },
};

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function upstream(opts: FakeUpstreamOptions = {}, table: RecordTable = TABLE): Promise<FakeUpstream> {
  const u = await fakeUpstream(table, opts);
  cleanups.push(() => u.close());
  return u;
}

/**
 * An upstream that holds every reply until the test lets it go: `release()` sends the oldest held
 * one. With `manualTimers()` a test says when each reply lands on forward's clock, to the millisecond.
 */
async function heldUpstream(table: RecordTable = TABLE) {
  const held: (() => void)[] = [];
  const up = await upstream({ onQuery: (_q, info) => new Promise<Buffer>((resolve) => { held.push(() => resolve(info.reply())); }) }, table);
  cleanups.push(() => { for (const send of held.splice(0)) send(); });
  return { up, held, release: () => held.shift()!() };
}

/**
 * forward to one upstream that holds its replies (`release()`), timed on `manualTimers()`: a test
 * says when each reply lands on forward's clock. `u` is forward's record of that upstream.
 */
async function heldResolver(input: Omit<ForwardInput, 'to'> = {}) {
  const timers = manualTimers();
  const { up, release } = await heldUpstream();
  const r = await resolver({ ...input, to: [up.address] }, [], timers);
  return { ...r, timers, up, release, u: r.plugin.upstreams.upstreams[0]! };
}

/**
 * A resolver on 127.0.0.1:0 whose chain is [spy, ...before, forward]; the spy keeps what forward
 * left in ctx.state. `timers`: forward's clock and timers (the block's), for a test that steps time.
 */
async function resolver(input: ForwardInput, before: PluginInput[] = [], timers?: Timers) {
  let plugin: ForwardPlugin | undefined;
  const states: QueryState[] = [];
  const spy: Plugin = { name: 'spy', handle: (ctx, next) => after(next(ctx), (reply) => { states.push({ ...ctx.state }); return reply; }) };
  const server = await createServer({
    port: 0,
    timers,
    plugins: [spy, ...before, (block) => (plugin = forward(input)(block) as ForwardPlugin)],
  }).start();
  cleanups.push(() => server.stop(0));
  return { server, address: server.address, plugin: plugin!, states };
}

describe('forward', () => {
  it('asks an upstream again after 1 s at first, but not once it is known to take longer (its RTT-based timeout)', async () => {
    const { timers, up, release, address, u } = await heldResolver();
    // No reply time known: the try is repeated at 1 s (RTO.initial) ...
    const first = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(1));
    timers.advance(999);
    expect(u.requests).toBe(1);
    timers.advance(1);
    expect(u.requests).toBe(2);
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(2));
    // ... then backed off to 2 s: at 2.5 s the first try's reply lands, before the second try's timer.
    timers.advance(1500);
    expect(u.requests).toBe(2);
    release();
    expect((await first).answers).toHaveLength(1);
    expect(u.srtt).toBe(2500);
    expect(u.fails).toBe(0);
    // Now known to take 2.5 s: it is given 5 s (srtt + 4 rttvar, capped by the budget) and asked once.
    expect(u.rto()).toBe(5000);
    const second = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(3));
    timers.advance(4999);
    expect(u.requests).toBe(3);
    release();                                  // the first query's second try: it ended, the reply is late
    release();
    expect((await second).answers).toHaveLength(1);
    expect(u.requests).toBe(3);
    expect(u.fails).toBe(0);
  });

  it('runs one timer a query: its tries set none of their own, and the one still in flight is stopped when another answers', async () => {
    const { timers, up, release, address, plugin } = await heldResolver();
    const timeouts: number[] = [];
    const exchange = plugin.client.exchange.bind(plugin.client);
    plugin.client.exchange = (q, to, opts) => { timeouts.push(opts.timeout); return exchange(q, to, opts); };
    const pending = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(1));
    expect(timers.pending).toBe(1);             // the try's, and none of its exchange
    // At 1 s (RTO.initial) a second try; its timer replaces the first's.
    timers.advance(1000);
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(2));
    expect(timers.pending).toBe(1);
    release();                                  // the first try's reply answers
    expect((await pending).answers).toHaveLength(1);
    expect(timers.pending).toBe(0);
    expect(timeouts).toEqual([Infinity, Infinity]);
    expect(plugin.client.stats).toMatchObject({ udpQueries: 2, replies: 1, aborts: 1, timeouts: 0 });
    // Both sockets are back in the pool, idle: the stopped try let its socket go.
    expect({ open: plugin.client.udpPool.open, idle: plugin.client.udpPool.idle }).toEqual({ open: 2, idle: 2 });
  });

  it('gives a query up when its context is aborted (shutdown): SERVFAIL at once, every try stopped', async () => {
    const timers = manualTimers();
    const up = await upstream({ blackhole: true });
    const { server, plugin } = await resolver({ to: [up.address] }, [], timers);
    const block = server.blocks[0]!;
    const ctx = new QueryContext(new DnsMessage(buildQuery('a.example.com', 'A')), { address: '127.0.0.1', port: 5353, transport: 'udp', family: 4 }, block, block.clock.now());
    const pending = block.chain(ctx);
    await vi.waitFor(() => expect(up.count('a.example.com')).toBe(1));
    expect(plugin.inflight).toBe(1);
    ctx.abort('shutdown');
    // No time passed on forward's clock: the answer came from the abort, not from a timer.
    const reply = await pending;
    expect(reply.rcodeName).toBe('SERVFAIL');
    expect(timers.pending).toBe(0);
    expect(plugin.inflight).toBe(0);
    expect(plugin.client.stats.aborts).toBe(1); // the try in flight was told to stop, not left to its timeout
    expect(ctx.signal.aborted).toBe(true);   // a signal asked for afterwards reads aborted too
  });

  it('forwards an A query and returns the upstream answer to the client', async () => {
    const up = await upstream();
    const { address, states, plugin } = await resolver({ to: [up.address] });
    const reply = await query(address, 'Web.Service.Consul', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.questions[0]!.name).toBe('Web.Service.Consul');
    expect(reply.answers).toMatchObject([{ type: 'A', ttl: 30, data: '10.0.0.7' }]);
    expect(up.count('web.service.consul', 'A', 'udp')).toBe(1);
    expect(states[0]).toMatchObject({ upstream: up.address, upstreamTransport: 'udp' });
    expect(plugin.upstreams.upstreams[0]).toMatchObject({ requests: 1, fails: 0 });
    expect(plugin.upstreams.upstreams[0]!.responses.get('NOERROR')).toBe(1);
  });

  it('passes a CNAME chain through whole', async () => {
    const up = await upstream();
    const { address } = await resolver({ to: [up.address] });
    const reply = await query(address, 'www.example.test', 'A');
    expect(reply.answers.map((a) => [a.type, a.data])).toEqual([
      ['CNAME', 'edge.example.test'], ['CNAME', 'web.service.consul'], ['A', '10.0.0.7'],
    ]);
  });

  it('passes names outside FROM, and names under except, to the next plugin (REFUSED at the end)', async () => {
    const up = await upstream();
    const { address } = await resolver({ from: 'consul.', except: ['private.consul'], to: [up.address] });
    expect((await query(address, 'example.org', 'A')).rcode).toBe('REFUSED');
    expect((await query(address, 'db.Private.consul', 'A')).rcode).toBe('REFUSED');
    expect((await query(address, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
    expect(up.queries.map((q) => q.name)).toEqual(['web.service.consul']);
  });

  it('fails over to the second upstream when the first blackholes', async () => {
    const timers = manualTimers();
    const dead = await upstream({ blackhole: true });
    const live = await upstream();
    const { address, states, plugin } = await resolver({ to: [dead.address, live.address], policy: 'sequential' }, [], timers);
    const [first, second] = plugin.upstreams.upstreams;
    const pending = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(dead.count('web.service.consul')).toBe(1));
    timers.advance(999);                                   // one try at the dead one, for RTO.initial (1 s)
    expect(second!.requests).toBe(0);
    timers.advance(1);
    expect(second!.requests).toBe(1);
    const reply = await pending;
    expect(reply.answers[0]?.data).toBe('10.0.0.7');
    expect(dead.count('web.service.consul')).toBe(1);
    expect(states[0]!.upstream).toBe(live.address);
    expect(first!.fails).toBe(1);
  });

  it('marks an upstream down after max_fails, skips it, and brings it back when a health probe answers', async () => {
    const flaky = await upstream({ blackhole: true });
    const live = await upstream();
    const timers = manualTimers();
    const { address, states, plugin } = await resolver({ to: [flaky.address, live.address], policy: 'sequential', maxFails: 1, healthCheck: 100 }, [], timers);
    const first = plugin.upstreams.upstreams[0]!;
    const pending = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(flaky.count('web.service.consul')).toBe(1));
    timers.advance(1000);
    await pending;
    expect(first.down).toBe(true);
    // Down: skipped, no wait for a timeout (forward's clock does not move, and the answer comes).
    await query(address, 'web.service.consul', 'A');
    expect(flaky.count('web.service.consul')).toBe(1);
    expect(timers.pending).toBe(0);
    expect(states[1]!.upstream).toBe(live.address);
    // Probes (. IN NS, RD clear) keep going while it is down, and fail.
    await vi.waitFor(() => expect(flaky.count('.', 'NS')).toBeGreaterThanOrEqual(1), { timeout: 2000 });
    expect(flaky.queries.find((q) => q.type === 'NS')).toMatchObject({ name: '.', rd: false, transport: 'udp' });
    flaky.blackhole(false);
    await vi.waitFor(() => expect(first.down).toBe(false), { timeout: 4000 });
    expect(first.healthcheckFailures).toBeGreaterThanOrEqual(1);
    await query(address, 'web.service.consul', 'A');
    expect(states[2]!.upstream).toBe(flaky.address);
    expect(first.probe!.active).toBe(false);
  });

  it('answers SERVFAIL at 5 s when no upstream answers, after tries backed off', async () => {
    const timers = manualTimers();
    const a = await upstream({ blackhole: true });
    const b = await upstream({ blackhole: true });
    const { address, plugin } = await resolver({ to: [a.address, b.address] }, [], timers);
    const tries = (): number => plugin.upstreams.upstreams.reduce((n, u) => n + u.requests, 0);
    const pending = query(address, 'web.service.consul', 'A', { timeout: 8000, edns: 1232 });
    await vi.waitFor(() => expect(a.count() + b.count()).toBe(1));
    // Tries at 0 and 1 s (RTO.initial each), then each upstream backed off to 2 s: at 2 s and 4 s.
    const at: number[] = [];
    for (let ms = 1; ms <= 4999; ms++) {
      const before = tries();
      timers.advance(1);
      if (tries() > before) at.push(ms);
    }
    expect(at).toEqual([1000, 2000, 4000]);
    expect(plugin.inflight).toBe(1);
    timers.advance(1);                                         // 5 s: the budget is spent
    expect(plugin.inflight).toBe(0);
    const reply = await pending;
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede.map((e) => e.code)).toEqual([22]);
    await vi.waitFor(() => expect(a.count() + b.count()).toBe(4));
    expect(plugin.counts.servfails).toBe(1);
    expect(timers.pending).toBe(0);
    // The tries have no timer of their own: the query's deadline stopped every one (a stopped
    // exchange gives its socket back; the health probes' own exchanges time out as before).
    expect(plugin.client.stats.aborts).toBe(tries());
  });

  it('asks a fast upstream again on its RTO.min timer when one datagram is lost', async () => {
    let dropped = 0;
    const up = await upstream({ onQuery: (q) => (q.questions?.[0]?.name === 'www.example.test' && dropped++ === 0 ? 'drop' : undefined) });
    const { address, plugin } = await resolver({ to: [up.address] });
    for (let i = 0; i < 5; i++) await query(address, 'web.service.consul', 'A'); // reply times known: srtt ~1 ms
    const rto = plugin.upstreams.upstreams[0]!.rto();
    expect(rto).toBe(RTO.min);
    const reply = await query(address, 'www.example.test', 'A', { timeout: 3000 });
    expect(reply.rcode).toBe('NOERROR');
    expect(dropped).toBe(2);                                 // the first try was dropped, the second (its timer at RTO.min) answered
    expect(plugin.upstreams.upstreams[0]!.fails).toBe(0);   // the answer reset the timed-out try's failure
  });

  it('uses a slow answer that lands within the 5 s, after asking again at 1 s', async () => {
    const { timers, up, release, address, u } = await heldResolver();
    const pending = query(address, 'web.service.consul', 'A', { timeout: 8000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(1));
    timers.advance(1000);                                  // asked again at 1 s (the next at 3 s, after the backoff)
    expect(u.requests).toBe(2);
    timers.advance(1700);                                  // 2.7 s: the first try's reply lands
    release();
    const reply = await pending;
    expect(reply.answers[0]?.data).toBe('10.0.0.7');
    expect(u.requests).toBe(2);
    expect(u.fails).toBe(0);                               // the late reply reset its count
    expect(u.srtt).toBe(2700);                             // timed from the try it answered
  });

  it('gives up at once, without spinning, when every try fails fast (TCP refused)', async () => {
    const timers = manualTimers();
    const closed = await freePort();
    const { address, plugin } = await resolver({ to: [`127.0.0.1:${closed}`], forceTcp: true }, [], timers);
    // Forward's clock never moves: the SERVFAIL comes from the refused tries, not from a timer.
    const reply = await query(address, 'web.service.consul', 'A', { edns: 1232 });
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede.map((e) => e.code)).toEqual([23]);   // Network Error
    expect(plugin.upstreams.upstreams[0]!.requests).toBe(3);
    expect(timers.pending).toBe(0);
  });

  it('still tries an upstream when every one is down', async () => {
    const timers = manualTimers();
    const up = await upstream({ blackhole: true });
    const { address, plugin } = await resolver({ to: [up.address], maxFails: 1, healthCheck: 60_000 }, [], timers);
    const failing = query(address, 'web.service.consul', 'A', { timeout: 8000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(1));
    timers.advance(5000);
    expect((await failing).rcode).toBe('SERVFAIL');                            // now down
    expect(plugin.upstreams.upstreams[0]!.down).toBe(true);
    up.blackhole(false);
    const reply = await query(address, 'web.service.consul', 'A');
    expect(reply.answers[0]?.data).toBe('10.0.0.7');
    expect(plugin.counts.healthcheckBroken).toBeGreaterThanOrEqual(1);
    expect(plugin.upstreams.upstreams[0]!.down).toBe(false);
  }, 15_000);

  it('answers REFUSED at once, with EDE 0, above max_concurrent, without counting an upstream failure', async () => {
    const { up, release, address, plugin } = await heldResolver({ maxConcurrent: 2 });
    const slow = [query(address, 'web.service.consul', 'A'), query(address, 'www.example.test', 'A')];
    await vi.waitFor(() => expect(up.count()).toBe(2));
    expect(plugin.inflight).toBe(2);
    // Answered while both replies are held and forward's clock stands still: at once.
    const refused = await query(address, 'big.service.consul', 'A', { edns: 1232 });
    expect(refused.rcode).toBe('REFUSED');
    expect(refused.ede.map((e) => e.code)).toEqual([0]);
    release();
    release();
    expect((await Promise.all(slow)).map((r) => r.rcode)).toEqual(['NOERROR', 'NOERROR']);
    expect(plugin.counts.maxConcurrentRejects).toBe(1);
    expect(plugin.upstreams.upstreams[0]!.fails).toBe(0);
    expect(up.count('big.service.consul')).toBe(0);
  });

  it('passes over an upstream with max_concurrent tries outstanding; REFUSED at once when none has room', async () => {
    const { timers, up, release, address, plugin, states } = await heldResolver({ maxConcurrent: 2 });
    const first = query(address, 'web.service.consul', 'A', { timeout: 5000 });
    await vi.waitFor(() => expect(up.count('web.service.consul')).toBe(1));
    // At 1 s its try is repeated: the upstream then has 2 outstanding, its cap.
    timers.advance(1000);
    expect(plugin.upstreams.upstreams[0]!.inflight).toBe(2);
    // Answered while forward's clock stands still: at once.
    const busy = await query(address, 'www.example.test', 'A', { edns: 1232 });
    expect(busy.rcode).toBe('REFUSED');
    expect(busy.ede.map((e) => e.code)).toEqual([0]);
    expect(plugin.counts.upstreamsBusy).toBe(1);
    expect(plugin.upstreams.upstreams[0]!.busy).toBeGreaterThanOrEqual(1);
    expect(states.find((st) => st.ede === 0)).toMatchObject({ plugin: 'forward' });
    release();
    expect((await first).rcode).toBe('NOERROR');
    expect(up.count('www.example.test')).toBe(0);
  });

  it('under a flood of unique names at a silent upstream, holds max_concurrent queries and max_udp_sockets sockets, and turns the rest away at once', async () => {
    const silent = await upstream({ blackhole: true });
    const { server, plugin } = await resolver({ to: [silent.address], maxConcurrent: 100, maxUdpSockets: 8, maxFails: 0 });
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    const rcodes: string[] = [];
    client.on('message', (m) => rcodes.push(dnsPacket.decode(m).rcode!));
    const before = fds();
    let peak = 0;
    const sample = setInterval(() => { peak = Math.max(peak, fds() - before); }, 2);
    for (let i = 0; i < 300; i++) {
      client.send(buildQuery(`n${i}.flood.test`, 'A', { id: i }), server.port, '127.0.0.1');
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    await vi.waitFor(() => expect(rcodes.length).toBeGreaterThanOrEqual(200), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 1200));              // past the first RTO: retries want sockets too
    clearInterval(sample);
    expect(plugin.inflight).toBeLessThanOrEqual(100);
    expect(plugin.counts.maxConcurrentRejects).toBe(200);
    expect(rcodes.slice(0, 200).every((r) => r === 'REFUSED')).toBe(true);
    expect(plugin.client.udpPool.peak).toBe(8);
    expect(peak).toBeLessThanOrEqual(8);
    expect(plugin.client.udpPool.waits).toBeGreaterThan(0);
  }, 15_000);

  it('force_tcp asks over TCP, reusing one connection', async () => {
    const up = await upstream();
    const { address, states } = await resolver({ to: [up.address], forceTcp: true });
    await query(address, 'web.service.consul', 'A');
    await query(address, 'www.example.test', 'A');
    expect(up.count(undefined, undefined, 'tcp')).toBe(2);
    expect(up.count(undefined, undefined, 'udp')).toBe(0);
    expect(up.tcpConnections).toBe(1);
    expect(states[0]!.upstreamTransport).toBe('tcp');
  });

  it("uses the client's transport by default, and prefer_udp asks over UDP for TCP clients", async () => {
    const up = await upstream();
    const plain = await resolver({ to: [up.address] });
    await query(plain.address, 'web.service.consul', 'A', { transport: 'tcp' });
    expect(up.count('web.service.consul', 'A', 'tcp')).toBe(1);
    const udp = await resolver({ to: [up.address], preferUdp: true });
    await query(udp.address, 'www.example.test', 'A', { transport: 'tcp' });
    expect(up.count('www.example.test', 'A', 'udp')).toBe(1);
  });

  it('passes a truncated UDP reply on by default; prefer_udp asks it again over TCP', async () => {
    const up = await upstream({ truncateUdpAt: 200 });
    const plain = await resolver({ to: [up.address] });
    const truncated = await query(plain.address, 'big.service.consul', 'A', { edns: 4096 });
    expect(truncated.flags.tc).toBe(true);
    expect(plain.states[0]!.upstreamTransport).toBe('udp');
    const retry = await resolver({ to: [up.address], preferUdp: true });
    const full = await query(retry.address, 'big.service.consul', 'A', { transport: 'tcp' });
    expect(full.flags.tc).toBe(false);
    expect(full.answers).toHaveLength(40);
    expect(retry.states[0]!.upstreamTransport).toBe('tcp');
    expect(up.count('big.service.consul', 'A', 'tcp')).toBe(1);
  });

  it('asks over TCP, the upstream that truncated first, when tcp_retry sets state.forceTcp', async () => {
    const a = await upstream();
    const b = await upstream();
    const retry: Plugin = { name: 'retry', handle: (ctx, next) => { ctx.state.forceTcp = true; ctx.state.upstream = b.address; return next(ctx); } };
    const { address, states } = await resolver({ to: [a.address, b.address], policy: 'sequential' }, [retry]);
    await query(address, 'web.service.consul', 'A');
    expect(b.count('web.service.consul', 'A', 'tcp')).toBe(1);
    expect(a.count()).toBe(0);
    expect(states[0]).toMatchObject({ upstream: b.address, upstreamTransport: 'tcp' });
  });

  it('ignores spoofed replies end to end (wrong ID, wrong question, wrong source port)', async () => {
    const intruder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', () => resolve()));
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => { intruder.close(); server.close(); });
    server.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const reply = (id: number, name: string, ip: string) => dnsPacket.encode({
        type: 'response', id, flags: 0x0180, questions: [{ name, type: 'A', class: 'IN' }],
        answers: [{ name, type: 'A', class: 'IN', ttl: 30, data: ip }],
      });
      server.send(reply(q.id ^ 0x5555, q.questions[0].name, '6.6.6.1'), rinfo.port, rinfo.address);
      server.send(reply(q.id, 'evil.example', '6.6.6.2'), rinfo.port, rinfo.address);
      intruder.send(reply(q.id, q.questions[0].name, '6.6.6.3'), rinfo.port, rinfo.address);
      setTimeout(() => server.send(reply(q.id, q.questions[0].name, '10.0.0.7'), rinfo.port, rinfo.address), 50);
    });
    const { address, plugin, server: dns } = await resolver({ to: [`127.0.0.1:${server.address().port}`] });
    const reply = await query(address, 'web.service.consul', 'A');
    expect(reply.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    expect(plugin.client.stats.spoofed).toBe(3);
    expect(await dns.metrics.metrics()).toContain('dnsmesh_forward_replies_dropped_total{reason="spoofed"} 3');
  });

  it('publishes its metrics at 0 when configured, and sums several forwards of one registry', async () => {
    const up = await upstream();
    const server = await createServer({
      blocks: [
        { zones: ['consul.'], port: 0, plugins: [forward({ to: [up.address], maxConcurrent: 1 })] },
        { zones: ['example.test.'], port: 0, plugins: [forward({ to: [up.address] })] },
      ],
    });
    const text0 = await server.metrics.metrics();
    expect(text0).toContain(`dnsmesh_forward_requests_total{to="${up.address}"} 0`);
    expect(text0).toContain(`dnsmesh_forward_responses_total{to="${up.address}",rcode="NOERROR"} 0`);
    expect(text0).toContain(`dnsmesh_forward_healthcheck_failures_total{to="${up.address}"} 0`);
    expect(text0).toContain('dnsmesh_forward_max_concurrent_rejects_total 0');
    expect(text0).toContain('dnsmesh_forward_upstreams_busy_total 0');
    expect(text0).toContain(`dnsmesh_forward_upstream_busy_total{to="${up.address}"} 0`);
    expect(text0).toContain('dnsmesh_forward_udp_sockets 0');
    expect(text0).toContain('dnsmesh_forward_udp_socket_waits_total 0');
    for (const reason of ['spoofed', 'malformed', 'late']) expect(text0).toContain(`dnsmesh_forward_replies_dropped_total{reason="${reason}"} 0`);
    expect(text0).toContain('dnsmesh_forward_replies_oversize_total 0');
    await server.start();
    cleanups.push(() => server.stop(0));
    // Both blocks share one listener (port 0 means one port); the zone picks the block.
    await query(server.address, 'web.service.consul', 'A');
    await query(server.address, 'www.example.test', 'A');
    const text = await server.metrics.metrics();
    expect(text).toContain(`dnsmesh_forward_requests_total{to="${up.address}"} 2`);
    expect(text).toContain(`dnsmesh_forward_responses_total{to="${up.address}",rcode="NOERROR"} 2`);
  });

  it('stops cleanly: probes cleared, TCP connections closed', async () => {
    const up = await upstream();
    const { server, address, plugin } = await resolver({ to: [up.address], forceTcp: true, expire: 60_000 });
    await query(address, 'web.service.consul', 'A');
    const pool = plugin.client.pool({ host: up.host, port: up.port });
    expect(pool.connections).toBe(1);
    await server.stop(0);
    expect(pool.connections).toBe(0);
    await expect(plugin.client.exchange(Buffer.alloc(12), up, { timeout: 100 })).rejects.toThrow(/closed/);
  });
});
