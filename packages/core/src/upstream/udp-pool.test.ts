import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamTimeout } from './errors.js';
import { UpstreamClient } from './exchange.js';
import { UpstreamStats } from './stats.js';
import { udpExchange } from './udp.js';
import { UdpSocketPool } from './udp-pool.js';

const query = (name: string): Buffer => dnsPacket.encode({ type: 'query', id: 1, flags: 0x0100, questions: [{ name, type: 'A', class: 'IN' }] });
const openFds = (): number => readdirSync('/proc/self/fd').length;

const sockets: dgram.Socket[] = [];
afterEach(() => { for (const s of sockets.splice(0)) s.close(); });

interface Seen { port: number; id: number; name: string }

/** An upstream on loopback: `reply` false = silent (it reads every query and never answers); `delay` ms before answering. */
async function upstream(reply: boolean, delay = 0): Promise<{ port: number; seen: Seen[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const seen: Seen[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    seen.push({ port: rinfo.port, id: q.id!, name: q.questions![0]!.name });
    if (!reply) return;
    const answer = dnsPacket.encode({ type: 'response', id: q.id, flags: 0x8180, questions: q.questions, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 5, data: '192.0.2.9' }] });
    if (delay === 0) socket.send(answer, rinfo.port, rinfo.address);
    else setTimeout(() => { if (sockets.includes(socket)) socket.send(answer, rinfo.port, rinfo.address); }, delay);
  });
  return { port: socket.address().port, seen };
}

const at = (port: number) => ({ host: '127.0.0.1', port });

describe('the outgoing UDP socket pool', () => {
  it('holds at most maxUdpSockets descriptors during a flood of unique names at a silent upstream, one query per socket at a time', async () => {
    const silent = await upstream(false);
    const client = new UpstreamClient({ maxUdpSockets: 16 });
    const before = openFds();
    let peakFds = 0;
    const sample = setInterval(() => { peakFds = Math.max(peakFds, openFds() - before); }, 2);
    const flood = Array.from({ length: 300 }, (_, i) =>
      client.exchange(query(`n${i}.flood.test`), at(silent.port), { timeout: 150 }).then(() => 'answered', (err) => err));
    peakFds = Math.max(peakFds, openFds() - before);
    const results = await Promise.all(flood);
    clearInterval(sample);
    expect(results.every((r) => r instanceof UpstreamTimeout)).toBe(true);
    expect(client.udpPool.peak).toBe(16);
    expect(peakFds).toBeLessThanOrEqual(16);
    expect(client.udpPool.waits).toBeGreaterThan(0);
    // The first 16 were in flight at once: 16 sockets, 16 ports. IDs are random per query.
    expect(new Set(silent.seen.slice(0, 16).map((s) => s.port)).size).toBe(16);
    expect(new Set(silent.seen.map((s) => s.id)).size).toBeGreaterThan(silent.seen.length * 0.9);
    // What stays open is idle (unref'd, closed after 5 s); closing the client closes it.
    expect(client.udpPool.idle).toBe(client.udpPool.open);
    client.close();
    expect(client.udpPool.open).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('serves queries waiting for a socket, in turn, when the upstream answers', async () => {
    const live = await upstream(true);
    const client = new UpstreamClient({ maxUdpSockets: 4 });
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      client.exchange(query(`w${i}.test`), at(live.port), { timeout: 3000 })));
    expect(replies.map((r) => r.question?.name)).toEqual(Array.from({ length: 60 }, (_, i) => `w${i}.test`));
    expect(client.udpPool.peak).toBe(4);
    expect(client.udpPool.waiting).toBe(0);
    expect(client.udpPool.idle).toBe(client.udpPool.open);
    client.close();
    expect(client.udpPool.open).toBe(0);
  });

  it('drops a waiting query from the line when it is aborted, without leaking its place', async () => {
    const silent = await upstream(false);
    const client = new UpstreamClient({ maxUdpSockets: 1 });
    const first = client.exchange(query('a.test'), at(silent.port), { timeout: 200 }).catch((e) => e);
    const ac = new AbortController();
    const second = client.exchange(query('b.test'), at(silent.port), { timeout: 5000, signal: ac.signal }).catch((e) => e);
    ac.abort();
    await second;
    await first;
    expect(client.udpPool.waiting).toBe(0);
    expect(silent.seen).toHaveLength(1);                            // the aborted one never went out
    // Its place was not leaked: the next query gets the socket at once.
    const third = await client.exchange(query('c.test'), at(silent.port), { timeout: 50 }).catch((e) => e);
    expect(third).toBeInstanceOf(UpstreamTimeout);
    expect(silent.seen.map((s) => s.name)).toEqual(['a.test', 'c.test']);
    client.close();
    expect(client.udpPool.open).toBe(0);
  });

  it('opens a fresh socket per query while fewer than max are open, then gives each query a random idle one', async () => {
    const live = await upstream(true);
    const pool = new UdpSocketPool(4, { uses: 1000 });
    const stats = new UpstreamStats();
    for (let i = 0; i < 64; i++) await udpExchange(query(`s${i}.test`), at(live.port), { timeout: 2000 }, stats, pool);
    const ports = live.seen.map((s) => s.port);
    expect(new Set(ports.slice(0, 4)).size).toBe(4);                // the first four: four fresh sockets
    expect(pool.created).toBe(4);
    expect(new Set(ports)).toEqual(new Set(ports.slice(0, 4)));     // then only those, reused ...
    for (const p of new Set(ports)) expect(ports.slice(4).filter((x) => x === p).length).toBeGreaterThan(0); // ... each picked
    // Never the same ID twice in a row on one socket.
    const last = new Map<number, number>();
    for (const s of live.seen) { expect(last.get(s.port)).not.toBe(s.id); last.set(s.port, s.id); }
    expect(stats).toMatchObject({ replies: 64, spoofed: 0, late: 0 });
    pool.close();
    expect(pool.open).toBe(0);
  });

  it('opens fresh sockets at no more than freshRate a second beyond a burst, reusing an idle one instead (injected clock)', async () => {
    const live = await upstream(true);
    let now = 0;
    const pool = new UdpSocketPool(64, { uses: 1000, freshRate: 1000, freshBurst: 3, now: () => now });
    const stats = new UpstreamStats();
    const ask = (name: string) => udpExchange(query(name), at(live.port), { timeout: 2000 }, stats, pool);
    for (let i = 0; i < 10; i++) await ask(`b${i}.test`);          // one after another, in the same instant
    expect(pool.created).toBe(3);                                    // the burst; then the idle ones
    const burstPorts = new Set(live.seen.map((s) => s.port));
    expect(burstPorts.size).toBe(3);
    now += 1;                                                        // 1 ms at 1000 a second: one token
    await ask('t1.test');
    await ask('t2.test');
    expect(pool.created).toBe(4);
    expect(burstPorts.has(live.seen.at(-2)!.port)).toBe(false);      // t1 went on a fresh port
    expect([...burstPorts, live.seen.at(-2)!.port]).toContain(live.seen.at(-1)!.port); // t2 reused one
    // At a low rate (a token refilled before each query) every query has a socket of its own.
    const before = pool.created;
    for (let i = 0; i < 5; i++) { now += 10; await ask(`slow${i}.test`); }
    expect(pool.created).toBe(before + 5);
    expect(new Set(live.seen.slice(-5).map((s) => s.port)).size).toBe(5);
    pool.close();
  });

  it('opens a fresh socket beyond the fresh rate when none is idle: queries in flight at once never share one', async () => {
    const silent = await upstream(false);
    const pool = new UdpSocketPool(64, { freshRate: 1, freshBurst: 1, now: () => 0 });
    const stats = new UpstreamStats();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      udpExchange(query(`c${i}.test`), at(silent.port), { timeout: 100 }, stats, pool).catch((e: unknown) => e)));
    expect(results.every((r) => r instanceof UpstreamTimeout)).toBe(true);
    expect(pool.created).toBe(8);
    expect(new Set(silent.seen.map((s) => s.port)).size).toBe(8);
    pool.close();
  });

  it('refuses a fresh rate or burst that is not positive', () => {
    expect(() => new UdpSocketPool(4, { freshRate: 0 })).toThrow(/freshRate/);
    expect(() => new UdpSocketPool(4, { freshBurst: 0 })).toThrow(/freshBurst/);
    expect(() => new UdpSocketPool(4, { freshBurst: 1.5 })).toThrow(/freshBurst/);
  });

  it('retires a socket after its budget of queries: the ports keep changing', async () => {
    const live = await upstream(true);
    const pool = new UdpSocketPool(2, { uses: 3 });                  // each socket: 3 to 5 queries
    const stats = new UpstreamStats();
    for (let i = 0; i < 60; i++) await udpExchange(query(`r${i}.test`), at(live.port), { timeout: 2000 }, stats, pool);
    const perPort = new Map<number, number>();
    for (const s of live.seen) perPort.set(s.port, (perPort.get(s.port) ?? 0) + 1);
    for (const n of perPort.values()) expect(n).toBeLessThanOrEqual(5);
    expect(perPort.size).toBeGreaterThanOrEqual(12);
    expect(pool.retired).toBeGreaterThanOrEqual(10);
    expect(pool.peak).toBe(2);
    pool.close();
  });

  it('closes sockets idle longer than `idle` (injected clock)', async () => {
    const live = await upstream(true);
    let now = 0;
    const pool = new UdpSocketPool(8, { idle: 1000, now: () => now });
    const stats = new UpstreamStats();
    await Promise.all([1, 2, 3].map((i) => udpExchange(query(`i${i}.test`), at(live.port), { timeout: 2000 }, stats, pool)));
    expect(pool.open).toBe(3);
    now = 900;
    await udpExchange(query('i4.test'), at(live.port), { timeout: 2000 }, stats, pool); // a fourth, fresh: idle since 900
    pool.sweep();
    expect(pool.open).toBe(4);
    now = 1000;
    pool.sweep();
    expect(pool.open).toBe(1);                                       // the first three were idle 1000 ms
    now = 1900;
    pool.sweep();
    expect(pool.open).toBe(0);
    expect(pool.retired).toBe(4);
  });

  it('counts a reply to a socket\'s previous query, arriving after that query ended, as late (not spoofed)', async () => {
    const slow = await upstream(true, 150);
    const pool = new UdpSocketPool(1, { uses: 1000 });
    const stats = new UpstreamStats();
    const err = await udpExchange(query('a.test'), at(slow.port), { timeout: 50 }, stats, pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeout);
    // The next query takes the same socket; a's answer lands while b waits for its own.
    const b = await udpExchange(query('b.test'), at(slow.port), { timeout: 2000 }, stats, pool);
    expect(b.question?.name).toBe('b.test');
    expect(slow.seen[0]!.port).toBe(slow.seen[1]!.port);
    expect(stats).toMatchObject({ late: 1, spoofed: 0, replies: 1, timeouts: 1 });
    pool.close();
  });
});
