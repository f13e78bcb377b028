import dgram from 'node:dgram';
import net from 'node:net';
import { mulberry32 } from '@dnsmesh/prng';
import { buildQuery } from './build-query.js';
import { serverAddress, type ServerAddress } from './server-address.js';

/** A seeded PRNG (@dnsmesh/prng's mulberry32), so a failing run can be replayed from its seed. */
export const prng = mulberry32;

export interface SocketFuzzOptions {
  /** Queries to send at most (UDP datagrams, or TCP frames). */
  iterations: number;
  /** Stop after this many milliseconds even if iterations remain. */
  durationMs?: number;
  seed?: number;
  transport?: 'udp' | 'tcp';
  /** Queries in flight at once (UDP) or connections at once (TCP); default 16. */
  concurrency?: number;
  /** How long to wait for each reply; default 500 ms. */
  replyTimeoutMs?: number;
  /** Names to build valid queries from before mutating them (the server's zones); default some under `test.`. */
  names?: readonly string[];
}

export interface SocketFuzzStats {
  seed: number;
  sent: number;
  /** Replies received (UDP: one per datagram at most; TCP: frames read). */
  replies: number;
  /** Queries that got no reply within the timeout (or whose TCP connection closed first). */
  unanswered: number;
  /** Replies by rcode name ('NOERROR', 'FORMERR', ...). */
  rcodes: Record<string, number>;
  /** Replies that break the rules whatever the query: under 12 octets, QR clear, or another ID. */
  badReplies: { query: string; reply: string; why: string }[];
  /** How the queries were made. */
  kinds: Record<string, number>;
  tcpConnections: number;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const TYPES = ['A', 'AAAA', 'TXT', 'MX', 'SRV', 'CNAME', 'NS', 'SOA', 'PTR', 'ANY', 'TYPE65280', 'AXFR', 'IXFR', 'OPT'];

/** One query: random octets, or a valid query mutated a little (the kind named for the stats). */
export function fuzzQuery(rand: () => number, names: readonly string[]): { kind: string; bytes: Buffer } {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[int(0, xs.length - 1)]!;
  const r = rand();
  if (r < 0.15) {
    const bytes = Buffer.alloc(int(0, 600));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(0, 255);
    return { kind: 'random', bytes };
  }
  if (r < 0.2) return { kind: 'short', bytes: Buffer.from(Array.from({ length: int(0, 11) }, () => int(0, 255))) };
  const q = buildQuery(pick(names), pick(TYPES), {
    id: int(0, 65535), rd: rand() < 0.9, cd: rand() < 0.1, do: rand() < 0.3,
    edns: rand() < 0.6 ? pick([0, 100, 512, 1232, 4096, 65535]) : false,
    ednsOptions: rand() < 0.2 ? [{ code: pick([3, 8, 10, 12, 15, 65001]), data: Buffer.alloc(int(0, 40), int(0, 255)) }] : [],
  });
  if (r < 0.3) return { kind: 'valid', bytes: q };
  let b = Buffer.from(q);
  const edits = int(1, 4);
  const kinds: string[] = [];
  for (let e = 0; e < edits; e++) {
    const what = rand();
    const at = b.length === 0 ? 0 : int(0, b.length - 1);
    if (what < 0.35 && b.length > 0) { b[at] = int(0, 255); kinds.push('set'); }
    else if (what < 0.5) { b = b.subarray(0, at); kinds.push('cut'); }
    else if (what < 0.65) { b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: int(1, 8) }, () => int(0, 255))), b.subarray(at)]); kinds.push('insert'); }
    else if (what < 0.8 && b.length >= 12) { b.writeUInt16BE(pick([0, 1, 2, 3, 255, 65535]), pick([4, 6, 8, 10])); kinds.push('count'); }
    else if (b.length >= 4) { b[2] = int(0, 255); b[3] = int(0, 255); kinds.push('flags'); }
  }
  return { kind: `mutated:${[...new Set(kinds)].sort().join('+') || 'none'}`, bytes: Buffer.from(b) };
}

/** What is wrong with a reply to `query` whatever the query was (undefined: nothing). */
function badReply(query: Buffer, reply: Buffer): string | undefined {
  if (reply.length < 12) return `${reply.length} octets`;
  if ((reply[2]! & 0x80) === 0) return 'QR clear';
  if (query.length >= 2 && reply.readUInt16BE(0) !== query.readUInt16BE(0)) return 'another ID';
  return undefined;
}

/**
 * Sends `iterations` fuzzed queries (random octets, valid ones, valid ones mutated) to a loopback DNS
 * server over UDP or TCP, bounded in count, time and concurrency, and reports what came back.
 * The caller asserts what must hold (the server alive, no bad reply, metrics counting the drops).
 */
export async function fuzzServer(server: string | ServerAddress, opts: SocketFuzzOptions): Promise<SocketFuzzStats> {
  const addr = serverAddress(server);
  if (addr.host !== '127.0.0.1' && addr.host !== '::1' && !addr.host.startsWith('127.')) throw new Error('fuzzServer: loopback only');
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rand = prng(seed);
  const names = opts.names ?? ['www.test', 'ok.test', 'big.test', 'x.wild.test', 'nope.test'];
  const stats: SocketFuzzStats = { seed, sent: 0, replies: 0, unanswered: 0, rcodes: {}, badReplies: [], kinds: {}, tcpConnections: 0 };
  const deadline = Date.now() + (opts.durationMs ?? 60_000);
  const timeout = opts.replyTimeoutMs ?? 500;
  const next = () => {
    if (stats.sent >= opts.iterations || Date.now() >= deadline) return undefined;
    const q = fuzzQuery(rand, names);
    stats.sent++;
    stats.kinds[q.kind.split(':')[0]!] = (stats.kinds[q.kind.split(':')[0]!] ?? 0) + 1;
    return q.bytes;
  };
  const record = (query: Buffer, reply: Buffer | undefined) => {
    if (reply === undefined) { stats.unanswered++; return; }
    stats.replies++;
    const why = badReply(query, reply);
    if (why !== undefined && stats.badReplies.length < 20) stats.badReplies.push({ query: query.toString('hex'), reply: reply.toString('hex'), why });
    if (reply.length >= 4) {
      const name = RCODES[reply[3]! & 0x0f] ?? `RCODE${reply[3]! & 0x0f}`;
      stats.rcodes[name] = (stats.rcodes[name] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: opts.concurrency ?? 16 }, async () => {
    if ((opts.transport ?? 'udp') === 'udp') {
      const socket = dgram.createSocket(addr.host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve) => socket.bind(0, addr.host.includes(':') ? '::1' : '127.0.0.1', resolve));
      try {
        for (let q = next(); q !== undefined; q = next()) record(q, await udpOnce(socket, addr, q, timeout));
      } finally {
        socket.close();
      }
    } else {
      for (let q = next(); q !== undefined;) {
        stats.tcpConnections++;
        q = await tcpConnection(addr, q, next, rand, timeout, record, (reply, framedHonestly) => {
          stats.replies++;
          const why = reply.length < 12 ? `${reply.length} octets` : (reply[2]! & 0x80) === 0 ? 'QR clear'
            : framedHonestly ? 'an ID no query on its connection had' : undefined;
          if (why !== undefined && stats.badReplies.length < 20) stats.badReplies.push({ query: '', reply: reply.toString('hex'), why });
        });
      }
    }
  });
  await Promise.all(workers);
  return stats;
}

function udpOnce(socket: dgram.Socket, addr: ServerAddress, q: Buffer, timeout: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (rinfo.port !== addr.port) return;
      // A late reply to an earlier (unanswered) query on this socket: not this one's.
      if (q.length >= 2 && msg.length >= 2 && msg.readUInt16BE(0) !== q.readUInt16BE(0)) return;
      done(msg);
    };
    const timer = setTimeout(() => done(undefined), timeout);
    const done = (reply: Buffer | undefined) => { clearTimeout(timer); socket.off('message', onMessage); resolve(reply); };
    socket.on('message', onMessage);
    socket.send(q, addr.port, addr.host, (err) => { if (err) done(undefined); });
  });
}

/**
 * One TCP connection: up to 8 queries framed and pipelined (sometimes with a lying length prefix or
 * cut off mid-frame), replies read until each is in or the timeout; returns the query it did not send.
 */
async function tcpConnection(
  addr: ServerAddress, first: Buffer, next: () => Buffer | undefined, rand: () => number, timeout: number,
  record: (q: Buffer, r: Buffer | undefined) => void, badId: (r: Buffer, framedHonestly: boolean) => void,
): Promise<Buffer | undefined> {
  const queries: Buffer[] = [first];
  while (queries.length < 1 + Math.floor(rand() * 8)) { const q = next(); if (q === undefined) break; queries.push(q); }
  const style = rand();
  const socket = net.connect({ host: addr.host, port: addr.port });
  socket.on('error', () => {});
  const replies: Buffer[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (d) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      pending = pending.subarray(2 + pending.readUInt16BE(0));
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => { socket.once('connect', resolve); socket.once('error', () => resolve()); });
  const frames = queries.map((q) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(style < 0.1 ? Math.min(65535, q.length + 1 + Math.floor(rand() * 100)) : q.length);
    return Buffer.concat([len, q]);
  });
  let wire = Buffer.concat(frames);
  if (style >= 0.1 && style < 0.15) wire = wire.subarray(0, Math.floor(rand() * wire.length)); // cut mid-frame
  if (!socket.destroyed) socket.write(wire);
  // Replies come in any order (RFC 7766 §6.2.1.1): match them to queries by ID.
  const deadline = Date.now() + timeout;
  while (replies.length < queries.length && Date.now() < deadline && !socket.destroyed) {
    await Promise.race([new Promise((r) => setTimeout(r, 10)), closed]);
  }
  socket.destroy();
  const unmatched = [...replies];
  for (const q of queries) {
    const i = q.length >= 2 ? unmatched.findIndex((r) => r.length >= 2 && r.readUInt16BE(0) === q.readUInt16BE(0)) : -1;
    if (i >= 0) record(q, unmatched.splice(i, 1)[0]);
    else record(q, undefined);
  }
  // A lying length prefix makes the server read frames from the middle of others: their "IDs" are
  // any two octets, so only honestly framed connections are held to the ID rule.
  for (const r of unmatched) badId(r, style >= 0.1);
  return next();
}
