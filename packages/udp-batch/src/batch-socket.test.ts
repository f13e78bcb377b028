import { afterEach, describe, expect, it } from 'vitest';
import {
  ADDR_SLOT, BatchSocket, addressOf, available, copyAddress, decodeAddress, loadError,
  type Batch, type BatchSocketOptions,
} from './index.js';
import { Client, fdCount, sleep, until } from './test-util.js';

// Real sockets on loopback, port 0 everywhere. Nothing is skipped: without the addon every test
// fails (CI builds it), starting with the first.

const sockets: BatchSocket[] = [];
const clients: Client[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const c of clients.splice(0)) c.close();
});

function open(opts: Partial<BatchSocketOptions>, onBatch: (b: Batch) => void): BatchSocket {
  const s = BatchSocket.open({ host: '127.0.0.1', port: 0, ...opts }, onBatch);
  sockets.push(s);
  return s;
}

async function client(family: 4 | 6 = 4): Promise<Client> {
  const c = await Client.open(family);
  clients.push(c);
  return c;
}

/** The batch callback of an echo server that answers `ok:<query>`, rewriting each slot in place. */
function echo(b: Batch): void {
  for (let i = 0; i < b.count; i++) {
    const o = i * b.slotSize;
    const len = b.lens[i]!;
    b.buf.copyWithin(o + 3, o, o + len);
    b.buf.write('ok:', o, 'latin1');
    b.lens[i] = len + 3;
  }
}

describe('the addon', () => {
  it('is built and loads (a missing build fails here, loudly)', () => {
    expect(loadError?.message).toBeUndefined();
    expect(available).toBe(true);
  });
});

describe('BatchSocket', () => {
  it('answers 1000 datagrams in the batch callback (127.0.0.1)', async () => {
    const server = open({}, echo);
    expect(server.port).toBeGreaterThan(0);
    expect(server.family).toBe(4);
    const c = await client();
    const queries = Array.from({ length: 1000 }, (_, i) => `q${i}`);
    const replies = await c.exchange(server.port, queries);
    expect(new Set(replies.map(String))).toEqual(new Set(queries.map((q) => `ok:${q}`)));
    const st = server.stats;
    expect(st).toMatchObject({ received: 1000, sent: 1000, sendDropped: 0, truncated: 0, rejected: 0, recvErrors: 0 });
    expect(st.batches).toBeGreaterThanOrEqual(1);
    expect(st.batches).toBeLessThanOrEqual(1000);
  });

  it('hands over a batch with its layout and the sender address', async () => {
    let seen: { count: number; bufLen: number; lensLen: number; addrsLen: number; slotSize: number } | undefined;
    let from: ReturnType<typeof addressOf> | undefined;
    let copied: ReturnType<typeof addressOf> | undefined;
    const server = open({ batchSize: 16, slotSize: 512 }, (b) => {
      seen = { count: b.count, bufLen: b.buf.length, lensLen: b.lens.length, addrsLen: b.addrs.length, slotSize: b.slotSize };
      from = addressOf(b, 0);
      copied = decodeAddress(copyAddress(b, 0));
      expect(() => addressOf(b, b.count)).toThrow(RangeError);
      expect(() => addressOf(b, -1)).toThrow(RangeError);
      expect(b.buf.subarray(0, b.lens[0]).toString()).toBe('hello');
      b.lens[0] = 0;
    });
    const c = await client();
    await c.send('hello', server.port);
    await until(() => seen !== undefined);
    expect(seen).toEqual({ count: 1, bufLen: 16 * 512, lensLen: 16, addrsLen: 16 * ADDR_SLOT, slotSize: 512 });
    expect(from).toEqual({ address: '127.0.0.1', port: c.port, family: 4 });
    expect(copied).toEqual(from);
    expect(server.batchSize).toBe(16);
    expect(server.slotSize).toBe(512);
  });

  it('defaults to 64 slots of 4096 bytes', async () => {
    let size = 0;
    const server = open({}, (b) => { size = b.buf.length; b.lens.fill(0); });
    const c = await client();
    await c.send('x', server.port);
    await until(() => size > 0);
    expect(size).toBe(64 * 4096);
    expect(server.batchSize).toBe(64);
  });

  it('drops a datagram longer than a slot, or with keepTruncated hands over its first slotSize bytes as length slotSize + 1', async () => {
    const long = Buffer.alloc(100, 0x61);
    long.write('head', 0);
    // Queued before the loop polls, so each socket reads all three in one batch (the drop closes the gap).
    for (const keepTruncated of [false, true]) {
      const got: string[] = [];
      const server = open({ batchSize: 8, slotSize: 32, keepTruncated }, (b) => {
        for (let i = 0; i < b.count; i++) {
          const len = b.lens[i]!;
          got.push(`${len}:${b.buf.toString('latin1', i * 32, i * 32 + Math.min(len, 32))}`);
          b.lens[i] = 0;
        }
      });
      const c = await client();
      for (const d of ['one', long, 'two']) void c.send(d, server.port);
      await until(() => server.stats.received === (keepTruncated ? 3 : 2));
      const cut = `33:${long.toString('latin1', 0, 32)}`;
      expect(got).toEqual(keepTruncated ? ['3:one', cut, '3:two'] : ['3:one', '3:two']);
      expect(server.stats).toMatchObject({ truncated: 1, sent: 0, rejected: 0 });
    }
    expect(() => open({ slotSize: 65535, keepTruncated: true }, () => {})).toThrow(RangeError);
  });

  it('drains a backlog in up to 4 full batches per wakeup, then lets the event loop turn', async () => {
    const seen: (number | 'turn')[] = [];
    const server = open({ batchSize: 8 }, (b) => {
      if (seen.length === 0) setImmediate(() => seen.push('turn')); // runs once this wakeup is over
      seen.push(b.count);
      echo(b);
    });
    const c = await client();
    // 40 datagrams queued at the socket before the loop polls it (each send is made at once).
    for (let i = 0; i < 40; i++) void c.send(`q${i}`, server.port);
    await until(() => c.replies.length >= 40, 5000, '40 replies');
    expect(seen).toEqual([8, 8, 8, 8, 'turn', 8]);
    expect(server.stats).toMatchObject({ received: 40, sent: 40, batches: 5 });
  });

  it('reads a one-slot socket once a wakeup (no second read to find it empty); the level-triggered poll brings the rest', async () => {
    const seen: (string | 'turn')[] = [];
    const server = open({ batchSize: 1 }, (b) => {
      setImmediate(() => seen.push('turn')); // runs once this wakeup is over
      seen.push(b.buf.toString('latin1', 0, b.lens[0]));
      b.lens[0] = 0;
    });
    const c = await client();
    for (const d of ['a', 'b', 'c']) void c.send(d, server.port);
    await until(() => seen.length >= 6, 5000, 'three datagrams and their turns');
    expect(seen).toEqual(['a', 'turn', 'b', 'turn', 'c', 'turn']);
    expect(server.stats).toMatchObject({ received: 3, batches: 3 });
  });

  it('queueTo sends a turn\'s late replies together after the turn, and at once when the queue is full', async () => {
    const held: { addr: Uint8Array; q: string }[] = [];
    const server = open({ batchSize: 8 }, (b) => {
      for (let i = 0; i < b.count; i++) {
        held.push({ addr: copyAddress(b, i), q: b.buf.toString('latin1', i * b.slotSize, i * b.slotSize + b.lens[i]!) });
        b.lens[i] = 0;
      }
    });
    const c = await client();
    for (let i = 0; i < 20; i++) await c.send(`q${i}`, server.port);
    await until(() => held.length === 20, 5000, '20 queries');
    // 20 queued in one turn: the first 8 fill the queue, the 9th sends them (a full queue goes at once).
    for (let i = 0; i < 9; i++) expect(server.queueTo(Buffer.from(`late:${held[i]!.q}`), held[i]!.addr)).toBe(true);
    expect(server.stats.sent).toBe(8);
    for (let i = 9; i < 20; i++) {
      const bytes = Buffer.from(`late:${held[i]!.q}`);
      server.queueTo(bytes, held[i]!.addr);
      bytes.fill(0x78);                             // the queue holds a copy
    }
    expect(server.stats.sent).toBe(16);           // nothing more until the turn is over
    await until(() => c.replies.length >= 20, 5000, '20 replies');
    expect(new Set(c.replies.map(String))).toEqual(new Set(held.map((h) => `late:${h.q}`)));
    expect(server.stats).toMatchObject({ sent: 20, sendDropped: 0 });
  });

  it('queueTo sends a datagram longer than a slot at once, flushes on close, and is refused once closed', async () => {
    let addr: Uint8Array | undefined;
    const server = open({ batchSize: 4, slotSize: 64 }, (b) => { addr ??= copyAddress(b, 0); b.lens[0] = 0; });
    const c = await client();
    await c.send('hello', server.port);
    await until(() => addr !== undefined, 5000, 'a query');
    expect(server.queueTo(Buffer.alloc(100, 0x61), addr!)).toBe(true);   // over slotSize: sent now
    expect(server.stats.sent).toBe(1);
    expect(server.queueTo(Buffer.from('queued'), addr!)).toBe(true);
    server.close();                                                      // queued: out before the fd closes
    await until(() => c.replies.length >= 2, 5000, '2 replies');
    expect(c.replies.map((r) => r.length)).toEqual([100, 6]);
    expect(server.queueTo(Buffer.from('late'), addr!)).toBe(false);
    expect(() => server.queueTo(Buffer.from('x'), new Uint8Array(3))).toThrow(RangeError);
  });

  it('answers misses later with sendTo (a copy of the query and of the address slot)', async () => {
    let server: BatchSocket | undefined;
    const late: boolean[] = [];
    server = open({}, (b) => {
      for (let i = 0; i < b.count; i++) {
        const o = i * b.slotSize;
        const query = Buffer.from(b.buf.subarray(o, o + b.lens[i]!));
        if (query.readUInt32BE(1) % 2 === 0) { // even: a hit, answered in place
          echo1(b, i);
          continue;
        }
        const addr = copyAddress(b, i);
        b.lens[i] = 0; // no reply now
        setTimeout(() => late.push(server!.sendTo(Buffer.concat([Buffer.from('late:'), query]), addr)), 5);
      }
    });
    const c = await client();
    const queries = Array.from({ length: 200 }, (_, i) => { const q = Buffer.alloc(5); q[0] = 0x71; q.writeUInt32BE(i, 1); return q; });
    const replies = await c.exchange(server.port, queries, 50);
    const text = replies.map((r) => `${r.subarray(0, r.length - 4).toString('latin1')}${r.readUInt32BE(r.length - 4)}`);
    const want = queries.map((_, i) => (i % 2 === 0 ? `ok:q${i}` : `late:q${i}`));
    expect(new Set(text)).toEqual(new Set(want));
    expect(late).toHaveLength(100);
    expect(late.every(Boolean)).toBe(true);
    expect(server.stats).toMatchObject({ received: 200, sent: 200, sendDropped: 0 });
  });

  it('serves IPv6 (::1) and decodes IPv6 senders', async () => {
    const senders: ReturnType<typeof addressOf>[] = [];
    const server = open({ host: '::1' }, (b) => {
      senders.push(addressOf(b, 0));
      echo(b);
    });
    expect(server.family).toBe(6);
    const c = await client(6);
    const queries = Array.from({ length: 300 }, (_, i) => `v6-${i}`);
    const replies = await c.exchange(server.port, queries);
    expect(new Set(replies.map(String))).toEqual(new Set(queries.map((q) => `ok:${q}`)));
    expect(senders[0]).toEqual({ address: '::1', port: c.port, family: 6 });
    expect(server.stats.sent).toBe(300);
  });

  it('makes IPv6 sockets IPv6-only: 0.0.0.0 binds the same port, IPv4 clients do not reach ::', async () => {
    let got = 0;
    const six = open({ host: '::' }, (b) => { got += b.count; b.lens.fill(0); });
    const four = open({ host: '0.0.0.0', port: six.port }, echo); // EADDRINUSE without IPV6_V6ONLY
    const c = await client(4);
    const replies = await c.exchange(four.port, ['to-v4']);
    expect(replies.map(String)).toEqual(['ok:to-v4']);
    expect(got).toBe(0);
  });

  it('binds port 0 to distinct free ports and an explicit port once it is closed', async () => {
    const a = open({}, echo);
    const b = open({}, echo);
    expect(a.port).toBeGreaterThan(0);
    expect(b.port).not.toBe(a.port);
    const port = a.port;
    expect(() => open({ port }, echo)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    a.close(); // closes the fd now: the port is free when close() returns
    const again = open({ port }, echo);
    expect(again.port).toBe(port);
    const c = await client();
    expect((await c.exchange(port, ['again'])).map(String)).toEqual(['ok:again']);
  });

  it('lets two sockets share a port with reusePort, and spreads senders over them', async () => {
    const a = open({ reusePort: true }, echo);
    const b = open({ port: a.port, reusePort: true }, echo);
    expect(b.port).toBe(a.port);
    expect(() => open({ port: a.port }, echo)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    const many = await Promise.all(Array.from({ length: 32 }, () => client()));
    await Promise.all(many.map((c, i) => c.exchange(a.port, [`c${i}`])));
    for (const [i, c] of many.entries()) expect(c.replies.map(String)).toEqual([`ok:c${i}`]);
    expect(a.stats.received + b.stats.received).toBe(32);
    expect(a.stats.received).toBeGreaterThan(0); // 32 source ports all hashed to one socket: 2^-31
    expect(b.stats.received).toBeGreaterThan(0);
  });

  it('accepts buffer sizes and unref', async () => {
    const server = open({ recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 }, echo);
    server.unref().ref();
    const c = await client();
    expect((await c.exchange(server.port, ['sized'])).map(String)).toEqual(['ok:sized']);
  });

  it('stops delivery on close, and sendTo after close returns false', async () => {
    let addr: Uint8Array | undefined;
    const server = open({}, (b) => { addr = copyAddress(b, 0); echo(b); });
    const c = await client();
    await c.exchange(server.port, ['one']);
    server.close();
    expect(server.closed).toBe(true);
    server.close(); // idempotent
    await c.send('two', server.port);
    await sleep(100);
    expect(server.stats.received).toBe(1);
    expect(c.replies.map(String)).toEqual(['ok:one']);
    expect(server.sendTo(Buffer.from('x'), addr!)).toBe(false);
    expect(server.stats.sent).toBe(1); // readable after close
  });

  it('frees the fd: 200 opens and closes leave the fd count unchanged', async () => {
    const before = await fdCount();
    for (let i = 0; i < 200; i++) {
      const s = BatchSocket.open({ host: i % 2 ? '::1' : '127.0.0.1', port: 0, batchSize: 4, slotSize: 512 }, echo);
      s.close();
    }
    // And a failed bind leaks none either.
    const held = open({}, echo);
    for (let i = 0; i < 20; i++) expect(() => BatchSocket.open({ host: '127.0.0.1', port: held.port }, echo)).toThrow();
    held.close();
    await sleep(10);
    expect(await fdCount()).toBe(before);
  });

  it('survives close() from inside the batch callback and sends nothing of that batch', async () => {
    let server: BatchSocket | undefined;
    server = open({}, (b) => { echo(b); server!.close(); });
    const c = await client();
    await c.send('bye', server.port);
    await until(() => server!.closed);
    await sleep(50);
    expect(c.replies).toHaveLength(0);
    expect(server.stats).toMatchObject({ received: 1, sent: 0 });
  });
});

/** Echoes slot i only. */
function echo1(b: Batch, i: number): void {
  const o = i * b.slotSize;
  const len = b.lens[i]!;
  b.buf.copyWithin(o + 3, o, o + len);
  b.buf.write('ok:', o, 'latin1');
  b.lens[i] = len + 3;
}

describe('bounds: what JavaScript hands back is checked in C', () => {
  it('drops (and counts) reply lengths beyond slotSize, including negative and huge values', async () => {
    const server = open({ slotSize: 512 }, (b) => {
      for (let i = 0; i < b.count; i++) {
        const q = b.buf.toString('latin1', i * b.slotSize, i * b.slotSize + b.lens[i]!);
        const set: Record<string, number> = { big: 513, neg: -1, huge: 1e9, nan: NaN, max: 65535, full: 512, one: 1 };
        b.lens[i] = set[q]!;
      }
    });
    const c = await client();
    for (const q of ['big', 'neg', 'huge', 'nan', 'max', 'full', 'one']) await c.send(q, server.port);
    await until(() => server.stats.received === 7);
    await until(() => c.replies.length === 2);
    await sleep(30);
    expect(c.replies.map((r) => r.length).sort((x, y) => x - y)).toEqual([1, 512]);
    expect(server.stats).toMatchObject({ received: 7, sent: 2, rejected: 4, sendDropped: 0 });
  });

  it('ignores a count or lens beyond the batch: only the received slots are answered', async () => {
    const server = open({ batchSize: 8, slotSize: 64 }, (b) => {
      b.count = 10_000;
      b.lens.fill(5); // slots past the real count too
      expect(() => addressOf(b, 9_999)).toThrow(RangeError); // count is JS's; slots are not
    });
    const c = await client();
    await c.exchange(server.port, ['a', 'b', 'c'], 1);
    await sleep(30);
    expect(c.replies).toHaveLength(3);
    expect(server.stats).toMatchObject({ received: 3, sent: 3 });
  });

  it('rejects bad sendTo arguments without a crash', async () => {
    let slot: Uint8Array | undefined;
    let view: Uint8Array | undefined;
    let viewResult: boolean | undefined;
    let server: BatchSocket | undefined;
    server = open({}, (b) => {
      slot = copyAddress(b, 0);
      view = b.addrs.subarray(0, ADDR_SLOT);
      viewResult = server!.sendTo(Buffer.from('via-view'), view); // a view of the live slot works too
      b.lens[0] = 0;
    });
    const c = await client();
    await c.send('x', server.port);
    await until(() => slot !== undefined);
    const s = server;
    const bytes = Buffer.from('r');
    const any = s as unknown as { sendTo(a: unknown, b: unknown): boolean };
    expect(() => any.sendTo('text', slot)).toThrow(TypeError);
    expect(() => any.sendTo(bytes, 'addr')).toThrow(TypeError);
    expect(() => any.sendTo(bytes, undefined)).toThrow(TypeError);
    expect(() => any.sendTo(bytes, new Uint16Array(14))).toThrow(TypeError);
    expect(() => any.sendTo(new DataView(new ArrayBuffer(4)), slot)).toThrow(TypeError);
    expect(() => s.sendTo(bytes, new Uint8Array(27))).toThrow(RangeError);
    expect(() => s.sendTo(bytes, new Uint8Array(29))).toThrow(RangeError);
    expect(() => s.sendTo(bytes, new Uint8Array(28))).toThrow(RangeError); // family 0
    const six = Uint8Array.from(slot!);
    six[0] = 10; // AF_INET6 (little-endian host) on an IPv4 socket
    six[1] = 0;
    expect(() => s.sendTo(bytes, six)).toThrow(RangeError);
    expect(() => s.sendTo(Buffer.alloc(65536), slot!)).toThrow(RangeError);
    // Valid shape, unusable destination (port 0): the kernel refuses it; counted, not thrown.
    const zero = Uint8Array.from(slot!);
    zero[2] = 0;
    zero[3] = 0;
    expect(typeof s.sendTo(bytes, zero)).toBe('boolean');
    // Empty and detached bytes are zero-length datagrams.
    const gone = new Uint8Array(8);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    expect(s.sendTo(gone, slot!)).toBe(true);
    expect(s.sendTo(new Uint8Array(0), slot!)).toBe(true);
    expect(s.sendTo(bytes, slot!)).toBe(true);
    expect(viewResult).toBe(true);
    await until(() => c.replies.length === 4);
    expect(c.replies.map(String).sort()).toEqual(['', '', 'r', 'via-view']);
    const st = s.stats;
    expect(st.sent + st.sendDropped).toBe(5);
  });

  it('checks options in JavaScript and in C', () => {
    const cb = () => {};
    const bad: [Partial<BatchSocketOptions>, ErrorConstructor][] = [
      [{ host: 'localhost' }, TypeError],
      [{ host: '' }, TypeError],
      [{ host: 1 as unknown as string }, TypeError],
      [{ port: -1 }, RangeError],
      [{ port: 65536 }, RangeError],
      [{ port: 1.5 }, RangeError],
      [{ port: '53' as unknown as number }, TypeError],
      [{ batchSize: 0 }, RangeError],
      [{ batchSize: 1025 }, RangeError],
      [{ batchSize: NaN }, RangeError],
      [{ slotSize: 0 }, RangeError],
      [{ slotSize: 65536 }, RangeError],
      [{ slotSize: Infinity }, RangeError],
      [{ recvBufferSize: -1 }, RangeError],
      [{ sendBufferSize: 2 ** 31 }, RangeError],
      [{ reusePort: 'yes' as unknown as boolean }, TypeError],
    ];
    for (const [opts, type] of bad) {
      expect(() => BatchSocket.open({ host: '127.0.0.1', port: 0, ...opts }, cb), JSON.stringify(opts)).toThrow(type);
    }
    expect(() => BatchSocket.open({ host: '127.0.0.1', port: 0 }, undefined as unknown as () => void)).toThrow(TypeError);
    // The largest batch and slot are accepted.
    open({ batchSize: 1024, slotSize: 65535 }, cb).close();
    open({ batchSize: 1, slotSize: 1 }, cb).close();
  });
});
