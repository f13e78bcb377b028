import { createServer, manualTimers, type PluginInput, type Timers } from '@dnsmesh/core';
import { buildQuery, fakeUpstream, query, queryRaw, toReply, type FakeUpstream, type FakeUpstreamOptions, type ReceivedQuery } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { ForwardPlugin } from './handler.js';
import { forward } from './index.js';
import type { ForwardInput } from './options.js';

// What forward sends upstream (dnsmesh's own query, never the client's bytes) and what it makes
// of what comes back (AD, question-less errors, EDE), with real sockets on loopback.

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function upstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const u = await fakeUpstream({ 'web.example.test A': { ttl: 30, data: ['10.0.0.7'] } }, opts);
  cleanups.push(() => u.close());
  return u;
}

async function resolver(input: ForwardInput, before: PluginInput[] = [], timers?: Timers) {
  let plugin: ForwardPlugin | undefined;
  const server = await createServer({ port: 0, timers, plugins: [...before, (block) => (plugin = forward(input)(block) as ForwardPlugin)] }).start();
  cleanups.push(() => server.stop(0));
  return { address: server.address, plugin: plugin! };
}

/** The parts of a query that matter upstream, read from its raw bytes. */
function shape(q: ReceivedQuery) {
  const raw = q.raw;
  const qEnd = raw.indexOf(0, 12) + 5;
  const opt = raw.subarray(qEnd);
  return {
    flags: raw.readUInt16BE(2),
    counts: [raw.readUInt16BE(4), raw.readUInt16BE(6), raw.readUInt16BE(8), raw.readUInt16BE(10)],
    question: raw.subarray(12, qEnd).toString('latin1'),
    // root owner, type 41, size, extended rcode, version, flags, RDLENGTH: the whole OPT
    opt: opt.length === 11 ? { owner: opt[0], type: opt.readUInt16BE(1), size: opt.readUInt16BE(3), ext: opt[5], version: opt[6], flags: opt.readUInt16BE(7), rdlen: opt.readUInt16BE(9) } : opt.toString('hex'),
  };
}

/** A header-only reply to `raw`: QR, its ID, the rcode; no question (as NSD answers some errors). */
function questionless(raw: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  raw.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (raw.readUInt16BE(2) & 0x0100) | rcode, 2);
  return out;
}

const OWN_OPT = { owner: 0, type: 41, size: 1232, ext: 0, version: 0, flags: 0, rdlen: 0 };

describe('what forward sends upstream', () => {
  it("sends dnsmesh's own query: a fresh ID, RD/CD kept, Z clear, the question's case, our OPT (1232, DO kept, no options)", async () => {
    const up = await upstream();
    const { address } = await resolver({ to: [up.address] });
    const cookie = { code: 10, data: Buffer.from('0123456789abcdef', 'hex') };
    const unknown = { code: 65001, data: Buffer.from([0xab, 0xcd]) };
    const variants = [
      { name: 'no EDNS', opts: {}, do: false },
      { name: 'size 100', opts: { edns: 100 }, do: false },
      { name: 'size 65535', opts: { edns: 65535 }, do: false },
      { name: 'DO, cookie, unknown option', opts: { edns: 4096, do: true, ednsOptions: [cookie, unknown] }, do: true },
      { name: 'CD', opts: { cd: true }, do: false },
    ];
    for (const v of variants) {
      up.reset();
      const bytes = buildQuery('Web.EXAMPLE.test', 'A', { ...v.opts, id: 0x4242 });
      const reply = toReply((await queryRaw(address, bytes))!);
      expect(reply.rcode, v.name).toBe('NOERROR');
      expect(reply.id).toBe(0x4242);
      expect(up.queries, v.name).toHaveLength(1);
      const sent = up.queries[0]!;
      expect(sent.id, v.name).not.toBe(0x4242);
      expect(shape(sent), v.name).toEqual({
        flags: 0x0100 | ('cd' in v.opts ? 0x0010 : 0),
        counts: [1, 0, 0, 1],
        question: '\x03Web\x07EXAMPLE\x04test\x00\x00\x01\x00\x01',
        opt: { ...OWN_OPT, flags: v.do ? 0x8000 : 0 },
      });
    }
  });

  it('clears the header Z, AA and AD bits and the EDNS Z flags a client set', async () => {
    const up = await upstream();
    const { address } = await resolver({ to: [up.address] });
    const bytes = buildQuery('web.example.test', 'A', { edns: 1232 });
    bytes.writeUInt16BE(0x0560, 2);                        // AA, RD, Z, AD
    bytes.writeUInt16BE(0x7fff, bytes.length - 4);         // every EDNS flag but DO (the "Z" bits)
    expect(toReply((await queryRaw(address, bytes))!).rcode).toBe('NOERROR');
    expect(shape(up.queries[0]!)).toMatchObject({ flags: 0x0100, opt: OWN_OPT });
  });

  it('over TCP too, and after a truncated UDP reply (prefer_udp asks again over TCP) with the same query', async () => {
    const up = await upstream({ truncateUdpAt: 30 });
    const { address } = await resolver({ to: [up.address], preferUdp: true });
    const reply = await query(address, 'web.example.test', 'A', { edns: 100, do: true, transport: 'tcp' });
    expect(reply.answers).toHaveLength(1);
    expect(up.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    for (const q of up.queries) expect(shape(q).opt).toEqual({ ...OWN_OPT, flags: 0x8000 });
  });

  it('edns_buffer_size sets the size advertised upstream', async () => {
    const up = await upstream();
    const { address } = await resolver({ to: [up.address], ednsBufferSize: 4096 });
    await query(address, 'web.example.test', 'A');
    expect(shape(up.queries[0]!).opt).toEqual({ ...OWN_OPT, size: 4096 });
  });
});

describe('the AD bit from an upstream', () => {
  const withAd = (raw: Buffer, reply: () => Buffer): Buffer => { const r = reply(); r[3] = r[3]! | 0x20; return r; };

  it('is cleared by default, even for a DO client, and not asked for', async () => {
    const up = await upstream({ onQuery: (_q, info) => withAd(info.raw, info.reply) });
    const { address } = await resolver({ to: [up.address] });
    expect((await query(address, 'web.example.test', 'A', { do: true })).flags.ad).toBe(false);
    expect(shape(up.queries[0]!).flags & 0x0020).toBe(0);
  });

  it('with trust_ad: asked for, and passed on to clients that ask (AD or DO) only', async () => {
    const up = await upstream({ onQuery: (_q, info) => withAd(info.raw, info.reply) });
    const { address } = await resolver({ to: [up.address], trustAd: true });
    expect((await query(address, 'web.example.test', 'A', { do: true })).flags.ad).toBe(true);
    expect(shape(up.queries[0]!).flags & 0x0020).toBe(0x0020);
    expect((await query(address, 'web.example.test', 'A')).flags.ad).toBe(false);
    const askingAd = buildQuery('web.example.test', 'A');
    askingAd[3] = askingAd[3]! | 0x20;
    expect(toReply((await queryRaw(address, askingAd))!).flags.ad).toBe(true);
  });

  it('AA from an upstream never reaches the client', async () => {
    const up = await upstream(); // the fake upstream answers with AA set, as an authority
    const { address } = await resolver({ to: [up.address] });
    expect((await query(address, 'web.example.test', 'A')).flags.aa).toBe(false);
  });
});

describe('a question-less error from the upstream', () => {
  it('is an answer: the client gets that rcode at once with EDE 22, the upstream still healthy (UDP and TCP)', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      for (const rcode of [1, 4, 5]) {
        const up = await upstream({ onQuery: (_q, info) => questionless(info.raw, rcode) });
        // Forward's clock stands still: the answer is the first reply, not a retry's or the deadline's.
        const timers = manualTimers();
        const { address, plugin } = await resolver({ to: [up.address], maxFails: 1, forceTcp: transport === 'tcp' }, [], timers);
        const reply = await query(address, 'web.example.test', 'A', { edns: 1232, timeout: 4000 });
        expect(timers.pending).toBe(0);
        expect(reply.rcode).toBe(['', 'FORMERR', '', '', 'NOTIMP', 'REFUSED'][rcode]);
        expect(reply.questions[0]!.name).toBe('web.example.test');
        expect(reply.ede).toEqual([{ code: 22, text: `${up.address} answered ${reply.rcode} without a question` }]);
        // One query; a FORMERR without OPT may mean "no EDNS here": asked once more without our OPT.
        expect(up.queries.map((q) => q.edns)).toEqual(rcode === 1 ? [1232, undefined] : [1232]);
        expect(up.queries.every((q) => q.transport === transport)).toBe(true);
        const u = plugin.upstreams.upstreams[0]!;
        expect(u.fails).toBe(0);
        expect(u.down).toBe(false);
      }
    }
  });
});

describe('an upstream that does not speak EDNS', () => {
  it('answers FORMERR without an OPT to our OPT: asked once more without one, and the client gets the answer', async () => {
    const up = await upstream({ onQuery: (q, info) => (q.additionals.length > 0 ? questionless(info.raw, 1) : undefined) });
    const { address } = await resolver({ to: [up.address] });
    const reply = await query(address, 'web.example.test', 'A', { do: true });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers).toHaveLength(1);
    expect(up.queries.map((q) => q.edns)).toEqual([1232, undefined]);
    expect(shape(up.queries[1]!)).toMatchObject({ flags: 0x0100, counts: [1, 0, 0, 0], opt: '' });
  });
});

describe('Extended DNS Errors on what forward makes', () => {
  it('SERVFAIL with EDE 23 (Network Error) when the upstream refuses the connection', async () => {
    const up = await upstream();
    const port = up.port;
    await up.close();                                        // nothing listens there now
    const { address } = await resolver({ to: [`127.0.0.1:${port}`], forceTcp: true });
    const reply = await query(address, 'web.example.test', 'A', { edns: 1232, timeout: 6000 });
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede.map((e) => e.code)).toEqual([23]);
    expect(reply.ede[0]!.text).toMatch(/ECONNREFUSED|refused|closed/i);
  });

  it('SERVFAIL with EDE 22 (No Reachable Authority) when nothing answers in time', async () => {
    const up = await upstream({ blackhole: true });
    const { address } = await resolver({ to: [up.address] });
    const reply = await query(address, 'web.example.test', 'A', { edns: 1232, timeout: 7000 });
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede).toEqual([{ code: 22, text: `no reply from ${up.address}` }]);
  }, 10_000);

  it('REFUSED with EDE 0 naming max_concurrent when the cap is reached', async () => {
    const up = await upstream({ delay: 300 });
    const { address } = await resolver({ to: [up.address], maxConcurrent: 1 });
    const first = query(address, 'web.example.test', 'A');
    await new Promise((r) => setTimeout(r, 50));
    const second = await query(address, 'web.example.test', 'A', { edns: 1232 });
    expect(second.rcode).toBe('REFUSED');
    expect(second.ede).toEqual([{ code: 0, text: 'forward: max_concurrent 1 queries in flight' }]);
    expect((await first).rcode).toBe('NOERROR');
  });
});
