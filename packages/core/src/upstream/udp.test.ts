import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadBatchTransport } from '../edge/batch-listener.js';
import type { UpstreamAddress } from './address.js';
import { UpstreamAborted, UpstreamError, UpstreamTimeout } from './errors.js';
import type { ExchangeOptions } from './options.js';
import { UpstreamStats } from './stats.js';
import { udpExchange as exchangeOn } from './udp.js';
import { UdpSocketPool } from './udp-pool.js';
import { useBatchUpstream } from './udp-socket.js';

const batch = await loadBatchTransport();

const query = (name: string, id = 0x1234): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: 0x0100, questions: [{ name, type: 'A', class: 'IN' }] });

/** A reply to `q` with one A record; `patch` makes it wrong on purpose. */
function answer(q: Buffer, ip: string, patch: { id?: number; name?: string; type?: string } = {}): Buffer {
  const d = dnsPacket.decode(q);
  const name = patch.name ?? d.questions[0].name;
  return dnsPacket.encode({
    type: 'response', id: patch.id ?? d.id, flags: 0x0180,
    questions: [{ name, type: patch.type ?? 'A', class: 'IN' }],
    answers: [{ name, type: 'A', class: 'IN', ttl: 30, data: ip }],
  });
}

const answerIp = (bytes: Buffer): string => dnsPacket.decode(bytes).answers[0]?.data;

type Handler = (msg: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket) => void;
const sockets: dgram.Socket[] = [];

async function udpServer(handler: Handler, host = '127.0.0.1'): Promise<{ host: string; port: number; socket: dgram.Socket }> {
  const socket = await otherSocket(host);
  socket.on('message', (msg, rinfo) => handler(msg, rinfo, socket));
  return { host, port: socket.address().port, socket };
}

async function otherSocket(host = '127.0.0.1'): Promise<dgram.Socket> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return socket;
}

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** Sockets and timers alive right now: an exchange must leave none behind. */
function handles(): { sockets: number; timers: number } {
  const kinds = process.getActiveResourcesInfo();
  return { sockets: kinds.filter((k) => k === 'UDPWrap').length, timers: kinds.filter((k) => k === 'Timeout').length };
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Every test runs on both kinds of pooled socket: Node's dgram, and the batched transport's addon
// (what a server that chose the batched transport uses for its upstreams). Without the addon built,
// the batch half fails: nothing is skipped.
describe.each(['dgram', 'batch'])('udpExchange on %s sockets', (transport) => {
  let pool: UdpSocketPool;
  const strays = { late: 0, spoofed: 0, oversize: 0 };
  beforeAll(() => {
    if (transport === 'batch') expect(batch, 'the @dnsmesh/udp-batch addon is not built').toBeDefined();
    useBatchUpstream(transport === 'batch' ? batch : undefined);
    pool = new UdpSocketPool(undefined, { strays });
  });
  afterAll(() => {
    pool.close();
    useBatchUpstream(undefined);
  });
  const udpExchange = (q: Buffer, up: UpstreamAddress, opts: ExchangeOptions, stats: UpstreamStats) => exchangeOn(q, up, opts, stats, pool);

  it('answers with the reply, its ID set back to the client\'s, from a fresh random ID and source port', async () => {
    const seen: { id: number; port: number }[] = [];
    const up = await udpServer((msg, rinfo, s) => {
      seen.push({ id: msg.readUInt16BE(0), port: rinfo.port });
      s.send(answer(msg, '10.0.0.1'), rinfo.port, rinfo.address);
    });
    const stats = new UpstreamStats();
    const q = query('web.service.consul', 0xbeef);
    const replies = await Promise.all([1, 2, 3, 4].map(() => udpExchange(q, up, { timeout: 1000 }, stats)));
    for (const r of replies) {
      expect(r.id).toBe(0xbeef);
      expect(answerIp(r.bytes)).toBe('10.0.0.1');
    }
    expect(q.readUInt16BE(0)).toBe(0xbeef);                    // the caller's bytes are untouched
    expect(new Set(seen.map((s) => s.port)).size).toBe(4);      // a socket of its own per query in flight
    expect(seen.some((s) => s.id !== 0xbeef)).toBe(true);       // IDs are ours, not the client's
    expect(stats).toMatchObject({ udpQueries: 4, replies: 4, spoofed: 0, malformed: 0 });
  });

  it('ignores a reply with a wrong ID, a wrong question, or from another port, and takes the real one', async () => {
    const intruder = await otherSocket();
    const up = await udpServer((msg, rinfo, s) => {
      const id = msg.readUInt16BE(0);
      s.send(answer(msg, '6.6.6.1', { id: id ^ 1 }), rinfo.port, rinfo.address);
      s.send(answer(msg, '6.6.6.2', { name: 'evil.example' }), rinfo.port, rinfo.address);
      s.send(answer(msg, '6.6.6.3', { type: 'AAAA' }), rinfo.port, rinfo.address);
      intruder.send(answer(msg, '6.6.6.4'), rinfo.port, rinfo.address); // right ID and question, wrong source port
      setTimeout(() => s.send(answer(msg, '10.0.0.7'), rinfo.port, rinfo.address), 30);
    });
    const stats = new UpstreamStats();
    const reply = await udpExchange(query('web.service.consul'), up, { timeout: 2000 }, stats);
    expect(answerIp(reply.bytes)).toBe('10.0.0.7');
    expect(stats.spoofed).toBe(4);
    expect(stats.replies).toBe(1);
  });

  it('over IPv6 (::1): the same checks of source address and port, and a socket of the same kind', async () => {
    const intruder = await otherSocket('::1');
    const opened = transport === 'batch' ? vi.spyOn(batch!.BatchSocket, 'open') : undefined;
    onTestFinished(() => opened?.mockRestore());
    const up = await udpServer((msg, rinfo, s) => {
      expect(rinfo.family).toBe('IPv6');
      intruder.send(answer(msg, '6.6.6.4'), rinfo.port, rinfo.address); // right ID and question, wrong source port
      s.send(answer(msg, '6.6.6.5', { id: msg.readUInt16BE(0) ^ 1 }), rinfo.port, rinfo.address);
      setTimeout(() => s.send(answer(msg, '10.0.0.6'), rinfo.port, rinfo.address), 30);
    }, '::1');
    const stats = new UpstreamStats();
    const reply = await udpExchange(query('web.service.consul'), up, { timeout: 2000 }, stats);
    expect(answerIp(reply.bytes)).toBe('10.0.0.6');
    expect(stats).toMatchObject({ spoofed: 2, replies: 1 });
    // On the batched transport the query's socket was the addon's, on the IPv6 wildcard.
    if (opened !== undefined) expect(opened.mock.calls.map((c) => c[0].host)).toEqual(['::']);
  });

  it('asks an IPv4-mapped IPv6 upstream (::ffff:127.0.0.1) at its IPv4 address, and takes its reply', async () => {
    const up = await udpServer((msg, rinfo, s) => s.send(answer(msg, '10.0.0.5'), rinfo.port, rinfo.address));
    const stats = new UpstreamStats();
    for (const host of ['::ffff:127.0.0.1', '::FFFF:7f00:1', '0:0:0:0:0:ffff:127.0.0.1']) {
      const reply = await udpExchange(query('web.service.consul'), { host, port: up.port }, { timeout: 2000 }, stats);
      expect(answerIp(reply.bytes), host).toBe('10.0.0.5');
    }
    expect(stats).toMatchObject({ spoofed: 0, replies: 3 });
  });

  it('matches the question case-insensitively', async () => {
    const up = await udpServer((msg, rinfo, s) => s.send(answer(msg, '10.0.0.8', { name: 'WEB.service.CONSUL' }), rinfo.port, rinfo.address));
    const reply = await udpExchange(query('web.Service.consul'), up, { timeout: 1000 }, new UpstreamStats());
    expect(answerIp(reply.bytes)).toBe('10.0.0.8');
  });

  it('ignores and counts a reply that does not parse, then takes the real one', async () => {
    const up = await udpServer((msg, rinfo, s) => {
      const bad = Buffer.from(answer(msg, '6.6.6.6'));
      s.send(bad.subarray(0, bad.length - 3), rinfo.port, rinfo.address); // record data cut short
      s.send(Buffer.from([msg[0]!, msg[1]!, 0x81]), rinfo.port, rinfo.address); // shorter than a header
      setTimeout(() => s.send(answer(msg, '10.0.0.9'), rinfo.port, rinfo.address), 30);
    });
    const stats = new UpstreamStats();
    const reply = await udpExchange(query('a.test'), up, { timeout: 2000 }, stats);
    expect(answerIp(reply.bytes)).toBe('10.0.0.9');
    expect(stats.malformed).toBe(2);
  });

  it('keeps a truncated (TC) reply cut mid-record as header and question', async () => {
    const up = await udpServer((msg, rinfo, s) => {
      const full = Buffer.from(answer(msg, '10.0.0.1'));
      full[2]! |= 0x02;                                             // TC
      s.send(full.subarray(0, full.length - 2), rinfo.port, rinfo.address);
    });
    const stats = new UpstreamStats();
    const reply = await udpExchange(query('big.test', 7), up, { timeout: 1000 }, stats);
    expect(reply.tc).toBe(true);
    expect(reply.id).toBe(7);
    expect(reply.ancount).toBe(0);
    expect(reply.question?.name).toBe('big.test');
    expect(stats.malformed).toBe(0);
  });

  it('times out with UpstreamTimeout when its timeout has passed, not before, and leaves nothing that keeps the process alive (the socket goes back to the pool, unref-ed)', async () => {
    let queried!: () => void;
    const sent = new Promise<void>((resolve) => { queried = resolve; });
    const up = await udpServer(() => queried());
    await later(50);
    const before = handles();
    const stats = new UpstreamStats();
    // The exchange's clock is faked (its timer is a setTimeout); the socket stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let err: unknown;
    try {
      const settled = udpExchange(query('slow.test'), up, { timeout: 150 }, stats).then(() => 'answered', (e: unknown) => e).then((e) => { err = e; });
      await sent;                                     // the query reached the upstream, which never answers
      vi.advanceTimersByTime(149);
      await new Promise((resolve) => setImmediate(resolve));
      expect(err).toBeUndefined();                    // 149 ms: still waiting
      vi.advanceTimersByTime(1);
      await settled;
      expect(vi.getTimerCount()).toBe(0);             // its timer is gone
    } finally {
      vi.useRealTimers();
    }
    expect(err).toBeInstanceOf(UpstreamTimeout);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamTimeout).upstream).toBe(`127.0.0.1:${up.port}`);
    await later(10);
    const after = handles();
    expect(after.sockets).toBe(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    expect(stats.timeouts).toBe(1);
  });

  it('rejects with UpstreamAborted on abort, at once, and frees the socket', async () => {
    const up = await udpServer(() => {});
    await later(50);
    const before = handles();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutdown')), 50);
    const stats = new UpstreamStats();
    const err = await udpExchange(query('slow.test'), up, { timeout: 5000, signal: controller.signal }, stats).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAborted);                 // ended by the abort, not its 5 s timeout
    expect(((err as Error).cause as Error).message).toBe('shutdown');
    expect(stats).toMatchObject({ aborts: 1, timeouts: 0 });
    await later(10);
    const after = handles();
    expect(after.sockets).toBe(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    // An already aborted signal: no socket at all.
    await expect(udpExchange(query('x.test'), up, { timeout: 1000, signal: AbortSignal.abort() }, new UpstreamStats())).rejects.toBeInstanceOf(UpstreamAborted);
  });

  it('stops through `cancel` as through a signal: UpstreamAborted at once, socket freed; stopping again does nothing', async () => {
    const up = await udpServer(() => {});
    await later(50);
    const before = handles();
    const stats = new UpstreamStats();
    let stop: ((reason?: unknown) => void) | undefined;
    setTimeout(() => stop!(new Error('settled elsewhere')), 50);
    const err = await udpExchange(query('slow.test'), up, { timeout: 5000, cancel: (s) => { stop = s; } }, stats).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAborted);                 // ended by `cancel`, not its 5 s timeout
    expect(((err as Error).cause as Error).message).toBe('settled elsewhere');
    expect(stats.timeouts).toBe(0);
    stop!(new Error('again'));
    expect(stats.aborts).toBe(1);
    await later(10);
    expect(handles().sockets).toBe(before.sockets);
    // Stopped from inside `cancel` (the caller settled already): no query goes out.
    await expect(udpExchange(query('x.test'), up, { timeout: 1000, cancel: (s) => s('late') }, stats)).rejects.toBeInstanceOf(UpstreamAborted);
    expect(stats.aborts).toBe(2);
  });

  it('never answers a stray datagram: one from elsewhere during an exchange, or after it, is counted and nothing goes back', async () => {
    const intruder = await otherSocket();
    const echoed: Buffer[] = [];
    intruder.on('message', (m) => echoed.push(m));
    let from = 0;
    const up = await udpServer((msg, rinfo, s) => {
      from = rinfo.port;
      intruder.send(Buffer.from('not dns at all'), rinfo.port, rinfo.address);         // to the exchange's socket, from elsewhere
      setTimeout(() => s.send(answer(msg, '10.0.0.5'), rinfo.port, rinfo.address), 30);
    });
    const stats = new UpstreamStats();
    const reply = await udpExchange(query('web.test'), up, { timeout: 2000 }, stats);
    expect(answerIp(reply.bytes)).toBe('10.0.0.5');
    expect(stats.spoofed).toBe(1);
    const before = strays.spoofed;
    intruder.send(Buffer.from([0xde, 0xad, 0x81, 0x80]), from, '127.0.0.1');             // to the idle socket
    await vi.waitFor(() => expect(strays.spoofed).toBe(before + 1));
    await later(50);
    expect(echoed).toEqual([]);
  });

  it('a reply over 4,096 bytes (more than forward advertises): dgram reads it whole, a batched socket reads its first 4,096 as a truncated reply', async () => {
    const intruder = await otherSocket();
    const up = await udpServer((msg, rinfo, s) => {
      const d = dnsPacket.decode(msg);
      const name = d.questions[0].name;
      const answers = Array.from({ length: 320 }, (_, i) => ({ name, type: 'A' as const, class: 'IN' as const, ttl: 30, data: `10.1.${i >> 8}.${i & 255}` }));
      const big = dnsPacket.encode({ type: 'response', id: d.id, flags: 0x0180, questions: d.questions, answers });
      expect(big.length).toBeGreaterThan(4096);
      // The same bytes from another port first: spoofed, whatever their size, and not counted as oversize.
      intruder.send(big, rinfo.port, rinfo.address, () => setTimeout(() => s.send(big, rinfo.port, rinfo.address), 20));
    });
    const mine = { late: 0, spoofed: 0, oversize: 0 };
    const own = new UdpSocketPool(undefined, { strays: mine });
    const stats = new UpstreamStats();
    const q = query('big.test');
    const reply = await exchangeOn(q, up, { timeout: 2000 }, stats, own);
    own.close();
    const d = dnsPacket.decode(reply.bytes);
    expect(d.id).toBe(q.readUInt16BE(0));
    expect(d.questions).toEqual([{ name: 'big.test', type: 'A', class: 'IN' }]);
    if (transport === 'dgram') {
      expect(d.flag_tc).toBe(false);
      expect(d.answers).toHaveLength(320);
      expect(mine.oversize).toBe(0);
    } else {
      // Cut mid-record: kept as header and question with TC set, so it is asked again over TCP.
      expect(d.flag_tc).toBe(true);
      expect(d.answers).toHaveLength(0);
      expect(reply.bytes.length).toBe(12 + 'big.test'.length + 2 + 4);
      expect(mine.oversize).toBe(1);
    }
    expect(stats).toMatchObject({ replies: 1, malformed: 0, spoofed: 1 });
  });

  it('refuses a host that is not an IP address (no lookup ever happens)', async () => {
    await expect(udpExchange(query('x.test'), { host: 'localhost', port: 53 }, { timeout: 100 }, new UpstreamStats()))
      .rejects.toThrow(/not an IP address/);
  });
});
