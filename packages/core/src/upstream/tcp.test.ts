import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamClient, exchange } from './exchange.js';
import { UpstreamAborted, UpstreamError, UpstreamTimeout } from './errors.js';
import { UpstreamStats } from './stats.js';

const query = (name: string, id = 0x1234): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: 0x0100, questions: [{ name, type: 'A', class: 'IN' }] });

function answer(q: Buffer, ip: string, patch: { id?: number; name?: string } = {}): Buffer {
  const d = dnsPacket.decode(q);
  const name = patch.name ?? d.questions[0].name;
  return dnsPacket.encode({
    type: 'response', id: patch.id ?? d.id, flags: 0x0180,
    questions: [{ name, type: 'A', class: 'IN' }],
    answers: [{ name, type: 'A', class: 'IN', ttl: 30, data: ip }],
  });
}

const answerIp = (bytes: Buffer): string => dnsPacket.decode(bytes).answers[0]?.data;
const frame = (msg: Buffer): Buffer => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP DNS server on 127.0.0.1:0 that hands each framed query to `onQuery`. */
interface TcpServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far, and how many have been closed by the client. */
  accepted: number;
  ended: number;
  readonly open: Set<net.Socket>;
}
type OnQuery = (msg: Buffer, send: (reply: Buffer) => void, socket: net.Socket) => void;

const servers: net.Server[] = [];
const clients: UpstreamClient[] = [];
const openSockets: net.Socket[] = [];

async function tcpServer(onQuery: OnQuery): Promise<TcpServer> {
  const state = { host: '127.0.0.1', port: 0, accepted: 0, ended: 0, open: new Set<net.Socket>() };
  const server = net.createServer((socket) => {
    state.accepted++;
    state.open.add(socket);
    openSockets.push(socket);
    socket.on('close', () => { state.open.delete(socket); });
    socket.on('end', () => { state.ended++; });
    socket.on('error', () => {});
    let acc = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      acc = Buffer.concat([acc, chunk]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const msg = acc.subarray(2, 2 + acc.readUInt16BE(0));
        acc = acc.subarray(2 + msg.length);
        onQuery(Buffer.from(msg), (reply) => { if (!socket.destroyed) socket.write(frame(reply)); }, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

function client(opts: ConstructorParameters<typeof UpstreamClient>[0] = {}): UpstreamClient {
  const c = new UpstreamClient(opts);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of openSockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('UpstreamClient over TCP', () => {
  it('pipelines 20 queries on one connection and matches replies sent in reverse order', async () => {
    const held: { msg: Buffer; send: (r: Buffer) => void }[] = [];
    const up = await tcpServer((msg, send) => {
      held.push({ msg, send });
      if (held.length === 20) for (const h of held.reverse()) h.send(answer(h.msg, dnsPacket.decode(h.msg).questions[0].name.replace('host', '10.0.0.')));
    });
    const c = client();
    const names = Array.from({ length: 20 }, (_, i) => `host${i + 1}`);
    const replies = await Promise.all(names.map((n, i) => c.exchange(query(n, 1000 + i), up, { transport: 'tcp', timeout: 2000 })));
    replies.forEach((r, i) => {
      expect(r.id).toBe(1000 + i);
      expect(answerIp(r.bytes)).toBe(`10.0.0.${i + 1}`);
    });
    expect(up.accepted).toBe(1);
    expect(new Set(held.map((h) => h.msg.readUInt16BE(0))).size).toBe(20); // IDs unique on the connection
    expect(c.stats).toMatchObject({ tcpQueries: 20, tcpConnects: 1, replies: 20, spoofed: 0 });
  });

  it('reuses the connection for the next query, then closes it after `expire` idle', async () => {
    const up = await tcpServer((msg, send) => send(answer(msg, '10.0.0.1')));
    const c = client({ expire: 150 });
    await c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 1000 });
    await c.exchange(query('b.test'), up, { transport: 'tcp', timeout: 1000 });
    expect(up.accepted).toBe(1);
    expect(c.stats.tcpReused).toBe(1);
    expect(c.pool(up).connections).toBe(1);
    await later(300);
    expect(up.ended).toBe(1);                 // we closed it (FIN)
    expect(c.pool(up).connections).toBe(0);
    expect(c.stats.tcpIdleCloses).toBe(1);
    await c.exchange(query('c.test'), up, { transport: 'tcp', timeout: 1000 });
    expect(up.accepted).toBe(2);
  });

  it('reconnects after the upstream closes the connection', async () => {
    const up = await tcpServer((msg, send, socket) => {
      send(answer(msg, '10.0.0.2'));
      setTimeout(() => socket.destroy(), 20);   // the server drops every connection after one reply
    });
    const c = client();
    for (const name of ['a.test', 'b.test', 'c.test']) {
      const r = await c.exchange(query(name), up, { transport: 'tcp', timeout: 1000 });
      expect(answerIp(r.bytes)).toBe('10.0.0.2');
      await later(60);
    }
    expect(up.accepted).toBe(3);
  });

  it('sends a query again on a fresh connection when a reused one turns out closed', async () => {
    let n = 0;
    const up = await tcpServer((msg, send, socket) => {
      n++;
      if (n === 2) socket.destroy();            // the second query hits a connection the server drops
      else send(answer(msg, '10.0.0.3'));
    });
    const c = client();
    await c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 1000 });
    const r = await c.exchange(query('b.test'), up, { transport: 'tcp', timeout: 1000 });
    expect(answerIp(r.bytes)).toBe('10.0.0.3');
    expect(up.accepted).toBe(2);
  });

  it('fails the queries in flight with UpstreamError when a fresh connection breaks', async () => {
    const up = await tcpServer((_msg, _send, socket) => socket.destroy());
    const c = client();
    const results = await Promise.allSettled([1, 2, 3].map((i) => c.exchange(query(`q${i}.test`), up, { transport: 'tcp', timeout: 2000 })));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).not.toBeInstanceOf(UpstreamTimeout);
    }
    expect(c.pool(up).connections).toBe(0);
  });

  it('fails at once when nothing listens', async () => {
    const up = await tcpServer(() => {});
    const port = up.port;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const c = client();
    await expect(c.exchange(query('a.test'), { host: '127.0.0.1', port }, { transport: 'tcp', timeout: 2000 }))
      .rejects.toThrow(/ECONNREFUSED/);                          // the refusal, not the 2 s timeout
    expect(c.stats.timeouts).toBe(0);
  });

  it('ignores replies with a wrong question and frames that do not parse, and takes the real one', async () => {
    const up = await tcpServer((msg, send) => {
      send(answer(msg, '6.6.6.1', { name: 'other.test' }));
      const bad = answer(msg, '6.6.6.2');
      send(bad.subarray(0, bad.length - 2));
      send(answer(msg, '10.0.0.4'));
    });
    const c = client();
    const r = await c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 1000 });
    expect(answerIp(r.bytes)).toBe('10.0.0.4');
    expect(c.stats).toMatchObject({ spoofed: 1, malformed: 1, replies: 1 });
  });

  it('times out, keeps the connection, and counts the late reply as late, not spoofed', async () => {
    const up = await tcpServer((msg, send) => {
      const name = dnsPacket.decode(msg).questions[0].name;
      setTimeout(() => send(answer(msg, '10.0.0.5')), name === 'slow.test' ? 200 : 0);
    });
    const c = client();
    const err = await c.exchange(query('slow.test'), up, { transport: 'tcp', timeout: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeout);                 // before the reply sent at 200 ms
    await later(200);
    expect(c.stats).toMatchObject({ timeouts: 1, late: 1, spoofed: 0 });
    await c.exchange(query('fast.test'), up, { transport: 'tcp', timeout: 1000 });
    expect(up.accepted).toBe(1);
  });

  it('rejects with UpstreamAborted on abort', async () => {
    const up = await tcpServer(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    const c = client();
    const err = await c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 5000, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAborted);
    expect(c.stats.aborts).toBe(1);
  });

  it('stops through `cancel` as through a signal', async () => {
    const up = await tcpServer(() => {});
    const c = client();
    let stop: ((reason?: unknown) => void) | undefined;
    setTimeout(() => stop!(new Error('stop')), 50);
    const err = await c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 5000, cancel: (s) => { stop = s; } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAborted);
    expect(c.stats.aborts).toBe(1);
    await expect(c.exchange(query('b.test'), up, { transport: 'tcp', timeout: 1000, cancel: (s) => s('late') })).rejects.toBeInstanceOf(UpstreamAborted);
    expect(c.stats.aborts).toBe(2);
  });

  it('close() fails what is in flight and refuses later exchanges', async () => {
    const up = await tcpServer(() => {});
    const c = client();
    const pending = c.exchange(query('a.test'), up, { transport: 'tcp', timeout: 5000 });
    await later(30);
    c.close();
    await expect(pending).rejects.toBeInstanceOf(UpstreamError);
    await expect(c.exchange(query('b.test'), up, { transport: 'udp', timeout: 100 })).rejects.toThrow(/closed/);
  });
});

describe('exchange() over TCP without a pool', () => {
  it('uses a connection of its own and closes it after the reply', async () => {
    const up = await tcpServer((msg, send) => send(answer(msg, '10.0.0.6')));
    const stats = new UpstreamStats();
    const r = await exchange(query('a.test', 99), up, { transport: 'tcp', timeout: 1000, stats });
    expect(r.id).toBe(99);
    expect(answerIp(r.bytes)).toBe('10.0.0.6');
    await later(50);
    expect(up.ended).toBe(1);
    expect(up.open.size).toBe(0);
  });
});
