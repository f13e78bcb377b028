import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, DnsMessage, type DecodedMessage, type DnsServer, type Plugin, type QueryContext, type TcpOptions } from '../src/index.js';
import { TURN_BYTES, TURN_QUERIES } from '../src/edge/tcp-connection.js';

// The bounds of the TCP listener (issue 15): real sockets on loopback; asserts counts and bytes,
// never durations (timeouts are configured short so the tests are quick).

const TXT = Array.from({ length: 200 }, (_, i) => ({ name: 'x.', type: 'TXT' as const, ttl: 60, data: [`${i}`.padEnd(250, 'x')] }));

/** Answers every name with ~54 KB of TXT (an answer that fills a TCP frame), synchronously. */
const bigAnswer: Plugin = {
  name: 'big',
  handle(ctx) {
    const name = ctx.request.question!.name;
    return DnsMessage.fromPacket({ type: 'response', id: 0, flags: 0x8400, questions: [{ name, type: 'TXT' }], answers: TXT.map((r) => ({ ...r, name })) });
  },
};

const small = (ctx: QueryContext): DnsMessage => DnsMessage.fromPacket({
  type: 'response', id: 0, flags: 0x8400, questions: [{ name: ctx.request.question!.name, type: 'A' }],
  answers: [{ name: ctx.request.question!.name, type: 'A', ttl: 60, data: '192.0.2.1' }],
});
const answerA: Plugin = { name: 'a', handle: small };

const frameOf = (name: string, id = 1, type: 'A' | 'TXT' = 'A'): Buffer => dnsPacket.streamEncode({ type: 'query', id, flags: 0x0100, questions: [{ name, type }] });

let server: DnsServer | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop(0);
  server = undefined;
});

async function start(plugins: Plugin[], tcp: Partial<TcpOptions>, metrics?: Registry): Promise<DnsServer> {
  server = await createServer({ plugins, tcp, metrics }).start();
  return server;
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(s);
    s.once('error', reject);
    s.once('connect', () => { s.off('error', reject); s.on('error', () => {}); resolve(s); });
  });
}

/** Reads framed replies from `s`; resolves with the first `n` (decoded), or what came before it closed / `timeout`. */
function replies(s: net.Socket, n: number, timeout = 5000): Promise<DecodedMessage[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const got: DecodedMessage[] = [];
    const done = () => { clearTimeout(timer); s.off('data', onData); resolve(got); };
    const timer = setTimeout(done, timeout);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        got.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (got.length === n) { done(); return; }
      }
    };
    s.on('data', onData);
    s.once('close', done);
  });
}

/** One query on a fresh connection from `localAddress`: its reply, or undefined. */
async function askTcp(port: number, name: string, localAddress = '127.0.0.2'): Promise<DecodedMessage | undefined> {
  const s = await connect(port, localAddress);
  s.write(frameOf(name, 77));
  const [reply] = await replies(s, 1, 3000);
  s.destroy();
  return reply;
}

function askUdp(port: number, name: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(undefined); }, 3000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(dnsPacket.encode({ type: 'query', id: 5, flags: 0x0100, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
  });
}

async function until(check: () => boolean, what: string, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not reached within ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => { if (s.destroyed) resolve(); else s.once('close', () => resolve()); });
const counts = (srv: DnsServer) => srv.tcpCounts()[0]!.tcp;

describe('TCP bounds', () => {
  it('stops reading from a pipelining client that never reads: unsent bytes and memory stay bounded, others are answered', async () => {
    const opts = { maxInflight: 8, maxUnsent: 64 * 1024, maxUnsentTotal: 64 * 1024 * 1024 };
    const srv = await start([bigAnswer], opts);
    const edge = [...srv.edges.values()][0]!;
    const before = process.memoryUsage().arrayBuffers;
    const attacker = await connect(srv.port);
    attacker.pause(); // never reads
    const queries = 3000;
    attacker.write(Buffer.concat(Array.from({ length: queries }, (_, i) => frameOf(`q${i}.test`, i & 0xffff, 'TXT'))));
    // Paused for good once the kernel takes no more: replies wait in the process (the server goes on
    // a few replies per loop turn until then, so a pause on the way is not yet the end).
    await until(() => counts(srv).pausedUnsent > 0 && counts(srv).unsent > opts.maxUnsent, 'reading paused for unsent bytes the kernel does not take');
    const settledAt = edge.stats.received;
    await new Promise((r) => setTimeout(r, 200));
    expect(edge.stats.received).toBe(settledAt);                  // nothing more is read while paused
    expect(edge.stats.received).toBeLessThan(queries);
    expect(counts(srv).unsent).toBeLessThanOrEqual(opts.maxUnsent + opts.maxInflight * 65537);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40 * 1024 * 1024); // 3000 replies would be 185 MB
    // Others are still answered, over TCP and over UDP.
    const other = await askTcp(srv.port, 'other.test');
    expect(other?.answers).toHaveLength(200);
    expect(await askUdp(srv.port, 'udp.test')).toBeDefined();
    // The client goes: what was held for it is let go.
    attacker.destroy();
    await until(() => counts(srv).open === 0, 'connections closed');
    expect(counts(srv).unsent).toBe(0);
    // What the client sent and the server had not read yet is dropped with the connection, not fed
    // to the chain (each would make a 54 KB reply for no one).
    await new Promise((r) => setTimeout(r, 200));
    expect(edge.stats.received).toBeLessThan(settledAt + 2 * opts.maxInflight);
  });

  it('closes a connection whose client does not read once the listener holds max_unsent_total', async () => {
    // Answers a little later, so that replies land on a connection already behind (with a synchronous
    // answer a paused connection gets no more, and one connection never holds more than max_unsent + a reply).
    const bigLater: Plugin = { name: 'later', handle: (ctx, next) => new Promise((resolve) => { setTimeout(() => resolve(bigAnswer.handle(ctx, next) as DnsMessage), 5); }) };
    const srv = await start([bigLater], { maxInflight: 32, maxUnsent: 1024, maxUnsentTotal: 65536 });
    const peak = { unsent: 0 };
    const timer = setInterval(() => { peak.unsent = Math.max(peak.unsent, counts(srv).unsent); }, 1);
    const a = await connect(srv.port);
    a.pause();
    a.write(Buffer.concat(Array.from({ length: 500 }, (_, i) => frameOf(`a${i}.test`, i, 'TXT'))));
    await until(() => counts(srv).unsentCloses > 0, 'a close for max_unsent_total');
    clearInterval(timer);
    await until(() => counts(srv).open === 0, 'closed'); // a paused client does not see the close
    expect(peak.unsent).toBeLessThanOrEqual(65536 + 65537);
    expect((await askTcp(srv.port, 'next.test'))?.answers).toHaveLength(200);
  });

  it('keeps at most max_inflight queries of one connection in the chain; the rest wait unread', async () => {
    const held: (() => void)[] = [];
    const hold: Plugin = { name: 'hold', handle: (ctx) => new Promise<DnsMessage>((resolve) => { held.push(() => resolve(small(ctx))); }) };
    const srv = await start([hold], { maxInflight: 4 });
    const s = await connect(srv.port);
    const got = replies(s, 20);
    s.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => frameOf(`p${i}.test`, i))));
    await until(() => held.length === 4, 'four queries in the chain');
    await new Promise((r) => setTimeout(r, 100));
    expect(held.length).toBe(4);
    expect(counts(srv).pausedInflight).toBe(1);
    let released = 0;
    const release = setInterval(() => { while (released < held.length) held[released++]!(); }, 5);
    const answers = await got;
    clearInterval(release);
    expect(answers.map((a) => a.questions![0]!.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}.test`).sort());
    expect(held.length).toBe(20);
  });

  it('refuses connections beyond max_per_client from one address; other addresses are served', async () => {
    const srv = await start([answerA], { maxPerClient: 3 });
    const conns = await Promise.all(Array.from({ length: 5 }, () => connect(srv.port, '127.0.0.1')));
    await until(() => counts(srv).refusedPerClient === 2, 'two refused');
    const open = conns.filter((c) => !c.destroyed);
    await until(() => conns.filter((c) => c.destroyed).length === 2, 'two closed on the client side');
    expect(counts(srv).open).toBe(3);
    expect((await askTcp(srv.port, 'other.test', '127.0.0.3'))?.answers).toHaveLength(1);
    void open;
  });

  it('under slowloris (every slot held by a connection sending a byte now and then), a new client is answered', async () => {
    const srv = await start([answerA], { maxConnections: 20, maxPerClient: 1000, frameTimeout: 60_000, idleTimeout: 60_000 });
    const slow = await Promise.all(Array.from({ length: 20 }, () => connect(srv.port, '127.0.0.1')));
    for (const s of slow) s.write(Buffer.from([0]));
    await until(() => counts(srv).open === 20, 'twenty slow connections');
    for (let i = 0; i < 5; i++) {
      const reply = await askTcp(srv.port, `new${i}.test`, '127.0.0.2');
      expect(reply?.answers).toHaveLength(1);
    }
    expect(counts(srv).evicted).toBeGreaterThanOrEqual(1);
    expect(counts(srv).open).toBeLessThanOrEqual(20);
    expect(srv.tcpListeners[0]!.connections).toBeLessThanOrEqual(20);
  });

  it('evicts the connection that has gone longest without a whole query, not one that keeps asking', async () => {
    const srv = await start([answerA], { maxConnections: 3, maxPerClient: 100, frameTimeout: 60_000, idleTimeout: 60_000 });
    const idle1 = await connect(srv.port);
    const busy = await connect(srv.port);
    const idle2 = await connect(srv.port);
    await until(() => counts(srv).open === 3, 'three open');
    busy.write(frameOf('busy.test', 1));
    expect(await replies(busy, 1)).toHaveLength(1);
    await askTcp(srv.port, 'n.test'); // evicts idle1 (accepted first, never asked)
    await closed(idle1);
    await askTcp(srv.port, 'm.test'); // evicts idle2; busy asked after it was accepted
    await closed(idle2);
    expect(busy.destroyed).toBe(false);
    busy.write(frameOf('busy.test', 2));
    expect(await replies(busy, 1)).toHaveLength(1);
  });

  it('closes a connection whose frame is not whole within frame_timeout, however often bytes trickle in', async () => {
    const srv = await start([answerA], { frameTimeout: 300, idleTimeout: 60_000 });
    const frame = frameOf('trickle.example.test', 3);
    const s = await connect(srv.port);
    let sent = 0;
    const trickle = setInterval(() => { if (sent < frame.length && !s.destroyed) s.write(frame.subarray(sent, ++sent)); }, 50);
    await closed(s);
    clearInterval(trickle);
    expect(sent).toBeLessThan(frame.length);                      // cut off mid-frame: the bytes did not reset the deadline
    expect(counts(srv).frameTimeouts).toBe(1);
    // Whole frames, each quick, keep a connection open well past one frame_timeout.
    const steady = await connect(srv.port);
    const got = replies(steady, 6);
    for (let i = 0; i < 6; i++) { steady.write(frameOf(`s${i}.test`, i)); await new Promise((r) => setTimeout(r, 100)); }
    expect(await got).toHaveLength(6);
    expect(steady.destroyed).toBe(false);
    expect(counts(srv).frameTimeouts).toBe(1);
  });

  it('closes an idle connection, and a client that stopped reading, after idle_timeout; what it held is freed', async () => {
    const srv = await start([bigAnswer], { idleTimeout: 300, maxInflight: 8 });
    const quiet = await connect(srv.port);
    await closed(quiet);
    expect(counts(srv).idleTimeouts).toBe(1);
    const stuck = await connect(srv.port);
    stuck.pause();
    stuck.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => frameOf(`z${i}.test`, i, 'TXT'))));
    await until(() => counts(srv).unsent > 0, 'replies waiting');
    await until(() => counts(srv).idleTimeouts === 2, 'the client that stopped reading closed'); // a paused client does not see the close
    expect(counts(srv).open).toBe(0);
    expect(counts(srv).unsent).toBe(0);
    expect(counts(srv).open).toBe(0);
  });

  // Fairness: a connection's work per turn of the event loop is bounded, so UDP and other clients get
  // turns in between. Counted with a ticker that runs once per turn (setImmediate); the connection's
  // work may fall in two turns' phases between two ticks (a read, then its continuation), hence 2x.
  /** Runs `work`, then counts what `count` grows by between successive loop turns until `done`; the most. */
  async function mostPerTurn(count: () => number, done: () => boolean, work: () => void): Promise<number> {
    let most = 0;
    let last = count();
    work();
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = count();
        most = Math.max(most, now - last);
        last = now;
        if (done()) resolve(); else setImmediate(tick);
      };
      setImmediate(tick);
    });
    return most;
  }

  it('answers a pipelining client a bounded number of queries per loop turn, and all of them', async () => {
    const srv = await start([answerA], { maxInflight: 1000 });
    const edge = [...srv.edges.values()][0]!;
    const client = await connect(srv.port);
    const queries = 500;
    const got = replies(client, queries);
    const most = await mostPerTurn(() => edge.stats.received, () => edge.stats.received >= queries,
      () => client.write(Buffer.concat(Array.from({ length: queries }, (_, i) => frameOf(`q${i}.test`, i)))));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2 * TURN_QUERIES); // was all 500 in one turn
    expect((await got).map((r) => r.id)).toEqual(Array.from({ length: queries }, (_, i) => i));
  });

  it('hands a bounded number of reply bytes to one connection per loop turn', async () => {
    const srv = await start([bigAnswer], { maxInflight: 64, maxUnsent: 64 * 1024 * 1024, maxUnsentTotal: 64 * 1024 * 1024 });
    const edge = [...srv.edges.values()][0]!;
    const client = await connect(srv.port);
    const queries = 40; // ~54 KB each: 2 MB, which the kernel takes while the client reads
    const got = replies(client, queries, 20_000);
    const most = await mostPerTurn(() => edge.stats.received, () => edge.stats.received >= queries,
      () => client.write(Buffer.concat(Array.from({ length: queries }, (_, i) => frameOf(`q${i}.test`, i, 'TXT')))));
    const perTurn = Math.ceil(TURN_BYTES / (54 * 1024)) + 1; // the reply that passes the budget still goes
    expect(most).toBeLessThanOrEqual(2 * perTurn); // was every query the kernel took at once
    expect(await got).toHaveLength(queries);
  });

  it('publishes every TCP refusal metric at 0 once listening', async () => {
    const metrics = new Registry();
    const srv = await start([answerA], {}, metrics);
    const text = await metrics.metrics();
    const port = srv.port;
    for (const reason of ['per_client', 'max_connections', 'idle_timeout', 'frame_timeout', 'max_unsent_total']) {
      expect(text).toContain(`dnsmesh_tcp_closed_total{port="${port}",reason="${reason}"} 0`);
    }
    for (const reason of ['max_inflight', 'max_unsent']) expect(text).toContain(`dnsmesh_tcp_paused_total{port="${port}",reason="${reason}"} 0`);
    expect(text).toContain(`dnsmesh_tcp_connections{port="${port}"} 0`);
    expect(text).toContain(`dnsmesh_tcp_unsent_bytes{port="${port}"} 0`);
  });
});
