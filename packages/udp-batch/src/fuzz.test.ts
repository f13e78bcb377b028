import { mulberry32 as prng } from '@dnsmesh/prng';
import { describe, expect, it } from 'vitest';
import { ADDR_SLOT, BatchSocket, copyAddress, type Batch } from './index.js';
import { Client, until } from './test-util.js';

// Random datagrams (0..5000 bytes, so some are longer than a 4096-byte slot) and random things
// done by the JavaScript side: reply lengths of every kind (0, valid, beyond the slot, negative,
// huge, NaN), corrupted address families, a rewritten count, late replies with sendTo of random
// sizes, bad sendTo arguments. The process must survive and every counter must add up.
// A failing run prints its seed: UDP_BATCH_FUZZ_SEED=<seed> replays it.


async function fuzz(family: 4 | 6, datagrams: number, seed: number): Promise<void> {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
  const slotSize = 4096;
  const expect_ = { delivered: 0, batches: 0, valid: 0, rejected: 0, corrupted: 0, sendTo: 0, sendToThrew: 0, pending: 0 };
  let socket: BatchSocket | undefined;

  const onBatch = (b: Batch): void => {
    expect_.batches++;
    const n = b.count;
    expect_.delivered += n;
    for (let i = 0; i < n; i++) {
      const o = i * b.slotSize;
      const len = b.lens[i]!;
      const action = rand();
      if (action < 0.3) {
        b.lens[i] = int(1, slotSize); // a valid reply of random length
        b.buf.fill(int(0, 255), o, o + Math.min(b.lens[i]!, 64));
      } else if (action < 0.4) {
        b.lens[i] = 0;
      } else if (action < 0.55) {
        b.lens[i] = int(slotSize + 1, 65535); // beyond the slot
      } else if (action < 0.65) {
        b.lens[i] = [-1, -4096, NaN, 1e9, 65536, 2 ** 40, Infinity, 0.5, 4096.9][int(0, 8)]!; // wraps to a u16
      } else if (action < 0.7) {
        b.lens[i] = int(1, slotSize);
        b.addrs[i * ADDR_SLOT] = 0x34; // family 0x1234: the kernel refuses it, counted as dropped
        b.addrs[i * ADDR_SLOT + 1] = 0x12;
        expect_.corrupted++;
      } else if (action < 0.9) {
        // A miss: copy the query and the address out, answer later (or not at all).
        const query = Buffer.from(b.buf.subarray(o, o + len));
        const addr = copyAddress(b, i);
        b.lens[i] = 0;
        const size = rand() < 0.05 ? 65536 + int(0, 10) : int(0, 8000);
        const badAddr = rand() < 0.05 ? [new Uint8Array(int(0, 40)).fill(0xff)] : [];
        expect_.pending++;
        setTimeout(() => {
          expect_.pending--;
          const reply = Buffer.alloc(size, query.length > 0 ? query[0] : 0);
          const to = badAddr[0] ?? addr;
          try {
            socket!.sendTo(reply, to);
            expect_.sendTo++;
          } catch (err) {
            if (!(err instanceof RangeError) || (size <= 65535 && to === addr)) throw err;
            expect_.sendToThrew++;
          }
        }, int(0, 3));
      } // else: lens untouched, an echo of the query (a valid length, at most the slot)
      const eff = b.lens[i]!;
      if (action >= 0.65 && action < 0.7) continue; // counted as corrupted
      if (eff > slotSize) expect_.rejected++;
      else if (eff > 0) expect_.valid++;
    }
    if (rand() < 0.2) b.count = int(0, 100_000); // JavaScript's count is not C's
    if (rand() < 0.1) b.lens.fill(int(0, 65535), n); // slots past the batch are never sent
  };

  socket = BatchSocket.open({ host: family === 4 ? '127.0.0.1' : '::1', port: 0, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 }, onBatch);
  const client = await Client.open(family);
  const sizes = Array.from({ length: datagrams }, () => int(0, 5000));
  const truncated = sizes.filter((s) => s > slotSize).length;
  try {
    const s = socket;
    const window = 32;
    for (let i = 0; i < sizes.length; i += window) {
      const chunk = sizes.slice(i, i + window).map((size) => Buffer.alloc(size, int(0, 255)));
      await Promise.all(chunk.map((d) => client.send(d, s.port)));
      const sent = Math.min(i + window, sizes.length);
      // Drain: everything read, every late reply sent, every reply back at the client.
      await until(() => {
        const st = s.stats;
        return st.received + st.truncated === sent && expect_.pending === 0 && client.replies.length === st.sent;
      }, 10_000, `window at ${i} (seed ${seed})`);
    }
    const st = s.stats;
    const ctx = `seed ${seed}: ${JSON.stringify({ st, expect_, truncated })}`;
    expect(st.received + st.truncated, ctx).toBe(datagrams);
    expect(st.truncated, ctx).toBe(truncated);
    expect(st.received, ctx).toBe(expect_.delivered);
    expect(st.batches, ctx).toBe(expect_.batches);
    expect(st.rejected, ctx).toBe(expect_.rejected);
    expect(st.sent + st.sendDropped, ctx).toBe(expect_.valid + expect_.corrupted + expect_.sendTo);
    expect(st.sendDropped, ctx).toBeGreaterThanOrEqual(expect_.corrupted);
    expect(st.recvErrors, ctx).toBe(0);
    expect(client.replies.length, ctx).toBe(st.sent);
    expect(expect_.sendToThrew, ctx).toBeGreaterThan(0);
    expect(client.replies.every((r) => r.length <= 8000), ctx).toBe(true);
  } finally {
    socket.close();
    client.close();
  }
}

describe('fuzz', () => {
  const seed = Number(process.env.UDP_BATCH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));

  it(`survives 5000 random datagrams and replies on 127.0.0.1 (seed ${seed})`, async () => {
    await fuzz(4, 5000, seed);
  }, 60_000);

  it(`survives 1500 on ::1 (seed ${seed + 1})`, async () => {
    await fuzz(6, 1500, seed + 1);
  }, 60_000);
});
