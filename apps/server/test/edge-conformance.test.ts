import { buildQuery, dig, fakeUpstream, freePort, kdig, query, queryRaw, tcpSession, toReply, type FakeUpstream, type ReceivedQuery } from '@dnsmesh/testkit';
import dnsPacket from 'dns-packet';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

// Issues 14 and 15 against the binary, with dig and kdig as clients: what the edge accepts, what
// reaches the upstream (always dnsmesh's own query), and what the client gets back.

/** The OPT dnsmesh sends upstream: root, type 41, 1232, ext 0, version 0, flags (DO), no options. */
const ownOpt = (doBit: boolean) => Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, doBit ? 0x80 : 0, 0, 0, 0]);

function header(q: ReceivedQuery) {
  const raw = q.raw;
  return { flags: raw.readUInt16BE(2), counts: [raw.readUInt16BE(4), raw.readUInt16BE(6), raw.readUInt16BE(8), raw.readUInt16BE(10)], opt: raw.subarray(raw.length - 11) };
}

/**
 * Big extra data: 1 MX answer and 30 addresses of its target in the additional section, which will
 * not fit 512 bytes. (Extra authority data does not reach the edge through the cache: it drops NS
 * sets from positive answers, as Unbound does; a negative answer's SOA and NSEC proofs are required.)
 */
function fatAuthority(raw: Buffer): Buffer {
  const q = dnsPacket.decode(raw);
  return dnsPacket.encode({
    type: 'response', id: q.id, flags: 0x8400 | (q.flags & 0x0100), questions: q.questions,
    answers: [{ name: q.questions[0].name, type: 'MX', ttl: 60, data: { preference: 10, exchange: 'mail.fat.test' } }],
    additionals: Array.from({ length: 30 }, (_, i) => ({ name: 'mail.fat.test', type: 'A', ttl: 60, data: `192.0.2.${i + 1}` })),
  });
}

/** A header-only REFUSED to `raw` (what NSD sends for some errors). */
function questionlessRefused(raw: Buffer): Buffer {
  const out = Buffer.alloc(12);
  raw.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8005 | (raw.readUInt16BE(2) & 0x0100), 2);
  return out;
}

/** A fake upstream and dnsmesh (cache, tcp_retry, forward) in front of it, for one test. */
async function start(): Promise<{ upstream: FakeUpstream; address: string; at: string[] }> {
  const upstream = await fakeUpstream({ 'ok.test A': { ttl: 300, data: ['192.0.2.1'] }, 'version.bind TXT': { ttl: 0, data: ['upstream-1.0'] } }, {
    onQuery: (q, info) => {
      const name = q.questions[0]!.name.toLowerCase();
      if (name === 'fat.test') return fatAuthority(info.raw);
      if (name === 'refuses.test') return questionlessRefused(info.raw);
      return undefined;
    },
  });
  onTestFinished(() => upstream.close());
  const port = await freePort();
  await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  cache 30\n  tcp_retry\n  forward . ${upstream.address}\n}\n`);
  return { upstream, address: `127.0.0.1:${port}`, at: ['@127.0.0.1', '-p', String(port)] };
}

describe('the edge and the upstream query, against the binary', () => {
  it("sends dnsmesh's own query whatever the client's EDNS: dig +ednsopt, +cookie, +bufsize=100/65535, +zflag, EDNS Z flags, kdig +nsid", async () => {
    const { upstream, at } = await start();
    const variants: [string[], boolean][] = [
      [['+ednsopt=65001:abcd', '+nocookie'], false],
      [['+cookie'], false],
      [['+bufsize=100'], false],
      [['+bufsize=65535', '+dnssec'], true],
      [['+zflag'], false],
      [['+ednsflags=0x40'], false],
      [['+noedns'], false],
      [['+cd'], false],
    ];
    let i = 0;
    for (const [opts, doBit] of variants) {
      upstream.reset();
      const name = `v${i++}.ok.test`;                 // a new name each time: a cache miss
      const out = await dig([...at, name, 'A', ...opts]);
      expect(out, opts.join(' ')).toMatch(/status: NXDOMAIN|status: NOERROR/);
      expect(upstream.queries, opts.join(' ')).toHaveLength(1);
      const h = header(upstream.queries[0]!);
      expect(h.flags, opts.join(' ')).toBe(0x0100 | (opts.includes('+cd') ? 0x0010 : 0));
      expect(h.counts, opts.join(' ')).toEqual([1, 0, 0, 1]);
      expect(h.opt, opts.join(' ')).toEqual(ownOpt(doBit));
    }
    upstream.reset();
    const k = await kdig([...at, 'nsid.ok.test', 'A', '+nsid']);
    expect(k).toMatch(/status: (NOERROR|NXDOMAIN)/);
    expect(header(upstream.queries[0]!).opt).toEqual(ownOpt(false));
  });

  it('answers FORMERR at the edge for a malformed OPT, with an OPT, and nothing reaches the upstream', async () => {
    const { upstream, address } = await start();
    upstream.reset();
    const base = buildQuery('bad.ok.test', 'A', { edns: 1232 });
    const badOption = Buffer.concat([base.subarray(0, base.length - 2), Buffer.from([0, 6, 0, 10, 0, 20, 1, 2])]); // option length 20 in 6 bytes
    const twoOpts = Buffer.concat([base, base.subarray(base.length - 11)]); twoOpts.writeUInt16BE(2, 10);
    const aRecord = Buffer.concat([buildQuery('bad.ok.test', 'A'), Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])]); aRecord.writeUInt16BE(1, 10);
    for (const [what, bytes, opt] of [['bad option length', badOption, true], ['two OPTs', twoOpts, true], ['A record in additional', aRecord, false]] as const) {
      const reply = toReply((await queryRaw(address, bytes))!);
      expect(reply.rcode, what).toBe('FORMERR');
      expect(reply.opt !== undefined, what).toBe(opt);
      if (opt) expect(reply.opt!.udpPayloadSize).toBe(1232);
    }
    expect(upstream.queries).toHaveLength(0);
  });

  it('answers meta-type QTYPEs FORMERR, zone transfers and CHAOS REFUSED, at once and never upstream', async () => {
    const { upstream, address, at } = await start();
    upstream.reset();
    for (const t of ['TSIG', 'TKEY', 'MAILA', 'MAILB', 'TYPE200']) {
      expect(await dig([...at, 'ok.test', t]), t).toMatch(/status: FORMERR/);
    }
    for (const args of [['version.bind', 'TXT', '-c', 'CH'], ['hostname.bind', 'TXT', '-c', 'CH'], ['id.server', 'TXT', '-c', 'CH'], ['version.server', 'TXT', '-c', 'CH'], ['ok.test', 'A', '-c', 'HS']]) {
      expect(await dig([...at, ...args]), args.join(' ')).toMatch(/status: REFUSED/);
    }
    // IXFR: REFUSED; with its SOA in the authority section (as dig IXFR=N sends it) FORMERR, as Unbound.
    expect(toReply((await queryRaw(address, buildQuery('ok.test', 'IXFR')))!).rcode).toBe('REFUSED');
    const withSoa = dnsPacket.encode({ type: 'query', id: 5, questions: [{ name: 'ok.test', type: 'IXFR' }], authorities: [{ name: 'ok.test', type: 'SOA', ttl: 0, data: { mname: '.', rname: '.', serial: 1, refresh: 0, retry: 0, expire: 0, minimum: 0 } }] });
    expect(toReply((await queryRaw(address, withSoa))!).rcode).toBe('FORMERR');
    // AXFR over TCP: REFUSED, and the connection still answers the next query.
    const session = await tcpSession(address);
    session.send(buildQuery('ok.test', 'AXFR'));
    const refused = await session.next();
    expect(refused.rcode).toBe('REFUSED');
    session.send(buildQuery('ok.test', 'A'));
    expect((await session.next()).answers[0]).toMatchObject({ data: '192.0.2.1' });
    await session.close();
    expect(upstream.queries.map((q) => q.type)).toEqual(['A']);
  });

  it('clears AA on relayed answers and drops extra records that do not fit, with TC clear', async () => {
    const { address } = await start();
    const small = await query(address, 'fat.test', 'MX');          // no EDNS: 512 bytes
    expect(small.flags).toMatchObject({ aa: false, tc: false });
    expect(small.answers).toHaveLength(1);
    expect(small.additionals).toHaveLength(0);
    const big = await query(address, 'fat.test', 'MX', { transport: 'tcp' });
    expect(big.additionals).toHaveLength(30);
    expect(big.flags.aa).toBe(false);
  });

  it('passes a question-less REFUSED on at once, and never caches it', async () => {
    const { upstream, address } = await start();
    upstream.reset();
    for (let i = 0; i < 2; i++) {
      const reply = await query(address, 'refuses.test', 'A', { edns: 1232, timeout: 4000 });
      expect(reply.rcode).toBe('REFUSED');
      expect(reply.ede[0]).toMatchObject({ code: 22 });
      // Asked once: the first reply was the answer (no second try at the 1 s retransmission, no wait for the 5 s budget).
      expect(upstream.count('refuses.test')).toBe(i + 1);
    }
    expect(upstream.count('refuses.test')).toBe(2);                // asked again: nothing was cached
    expect((await query(address, 'ok.test', 'A')).answers).toHaveLength(1); // the upstream is not marked down
  });
});
