// The cache between a real server and a fake upstream that sends raw bytes (odd labels, hostile
// records, malformed data), checked with the real dig.
import { createServer, type DnsServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { dig, fakeUpstream, type FakeUpstream } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { cache, CacheStore } from '../src/index.js';
import { dn, ip, labels, name, nsec, ptr, questionEnd, reply, rr, rrsig, soaData, T } from './wire-fixtures.js';

let server: DnsServer | undefined;
let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await server?.stop();
  await upstream?.close();
  server = undefined;
  upstream = undefined;
});

/** Starts an upstream that answers every query with `answer(rawQuery)` and a server with cache + forward in front of it. */
async function start(answer: (q: Buffer) => Buffer, opts: Parameters<typeof cache>[0] = {}) {
  upstream = await fakeUpstream({}, { onQuery: (_decoded, info) => answer(info.raw) });
  server = await createServer({ plugins: [cache(opts), forward({ to: [upstream.address] })] }).start();
  const store = server.blocks[0]!.get(CacheStore, 'test');
  const ask = (...args: string[]) => dig(['@127.0.0.1', '-p', String(server!.port), ...args]);
  return { store, ask, up: upstream };
}

/** The question name of a raw query, as bytes, and a reply to it with the question copied octet for octet. */
const qname = (q: Buffer): Buffer => q.subarray(12, questionEnd(q) - 4);
const doBit = (q: Buffer): boolean => q.length > questionEnd(q) + 8 && (q[questionEnd(q) + 7]! & 0x80) !== 0;

describe('names are octets (RFC 2181 §11)', () => {
  it('serves a label holding 0xff and one holding a dot unchanged, cold and from cache, and dig accepts both', async () => {
    const { ask, up, store } = await start((q) => reply(q, {
      an: [
        rr(ptr(12), T.CNAME, 300, Buffer.concat([labels('T'), ptr(12 + 1 + 2)])),          // -> T.esc\.dot.example.
        rr(dn('junk.example'), T.A, 300, ip('6.6.6.6')),                                     // off the chain: dropped
        rr(Buffer.concat([labels('T'), ptr(12 + 1 + 2)]), T.A, 300, ip('192.0.2.80')),
      ],
      ns: [rr(dn('.'), T.NS, 300, dn('ns.evil'))],
      ar: [rr(dn('ns.evil'), T.A, 300, ip('6.6.6.7'))],
    }));
    for (const round of ['cold', 'warm']) {
      const out = await ask('\\255x.esc\\.dot.example', 'A', '+noedns');
      expect(out, round).not.toMatch(/mismatch|WARNING|malformed/i);
      expect(out, round).toMatch(/status: NOERROR/);
      expect(out, round).toMatch(/^\\255x\.esc\\\.dot\.example\.\s+\d+\s+IN\s+CNAME\s+T\.esc\\\.dot\.example\.$/m);
      expect(out, round).toMatch(/^T\.esc\\\.dot\.example\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80$/m);
      expect(out, round).not.toMatch(/6\.6\.6\.|ns\.evil|junk/);
    }
    expect(up.queries).toHaveLength(1);
    // Another name (esc.dot.example: three labels) is another entry.
    expect(store.size).toBe(1);
    expect(store.flush('esc.dot.example')).toBe(0);
    expect(store.flush('\\255X.ESC\\.DOT.example.')).toBe(1);
  });

  it('keeps the client question case while comparing octets case-insensitively in ASCII only', async () => {
    const { ask, up } = await start((q) => reply(q, { an: [rr(ptr(12), T.A, 300, ip('192.0.2.9'))] }));
    await ask('\\200Ab.example', 'A');
    const out = await ask('\\200aB.EXAMPLE', 'A');
    expect(out).toMatch(/^\\200aB\.EXAMPLE\.\s+\d+\s+IN\s+A\s+192\.0\.2\.9$/m);
    expect(up.queries).toHaveLength(1);
    // 0xc0 and 0xe0 differ by the "case bit" but are not letters: another name.
    await ask('\\192.example', 'A');
    await ask('\\224.example', 'A');
    expect(up.queries).toHaveLength(3);
  });
});

describe('malformed and hostile upstream replies', () => {
  it('answers SERVFAIL for a CNAME whose RDATA is a pointer loop, stores nothing, and counts it', async () => {
    const { ask, up, store } = await start((q) => {
      const head = reply(q, {}).length;
      return reply(q, { an: [rr(ptr(12), T.CNAME, 300, Buffer.concat([labels('x'), ptr(head + 2 + 10)]))] });
    });
    for (let i = 0; i < 2; i++) expect(await ask('loop.example', 'A', '+noedns')).toMatch(/status: SERVFAIL/);
    expect(up.queries).toHaveLength(2);
    expect(store.size).toBe(0);
    expect(store.counts.notStored.get('malformed')).toBe(2);
    // CoreDNS's names: two queries looked at (two misses), two replies dropped.
    const text = await server!.blocks[0]!.metrics.metrics();
    expect(text).toMatch(/^dnsmesh_cache_requests_total\{server="[^"]*"\} 2$/m);
    expect(text).toMatch(/^dnsmesh_cache_drops_total\{server="[^"]*"\} 2$/m);
  });

  it('answers SERVFAIL for a CNAME loop in the answer', async () => {
    const { ask, store } = await start((q) => reply(q, {
      an: [rr(ptr(12), T.CNAME, 300, dn('b.example')), rr(dn('b.example'), T.CNAME, 300, name(...labelsOf(qname(q))))],
    }));
    expect(await ask('a.example', 'A')).toMatch(/status: SERVFAIL/);
    expect(store.counts.notStored.get('CNAME loop')).toBe(1);
  });
});

describe('DNSSEC proofs for DO clients', () => {
  it('passes NSEC records and RRSIGs of an NXDOMAIN to a DO client, and none to others', async () => {
    const { ask, up } = await start((q) => {
      const withSigs = doBit(q);
      return reply(q, {
        rcode: 3,
        ns: [
          rr(dn('example'), T.SOA, 3600, soaData('ns.example', 300)),
          ...(withSigs ? [
            rr(dn('example'), T.RRSIG, 3600, rrsig(T.SOA, 'example')),
            rr(dn('m.example'), T.NSEC, 300, nsec('z.example')),
            rr(dn('m.example'), T.RRSIG, 300, rrsig(T.NSEC, 'example')),
          ] : []),
        ],
      });
    });
    const signed = await ask('nx.example', 'A', '+dnssec');
    expect(signed).toMatch(/status: NXDOMAIN/);
    expect(signed).toMatch(/^m\.example\.\s+300\s+IN\s+NSEC\s+z\.example\./m);
    expect(signed).toMatch(/^m\.example\.\s+300\s+IN\s+RRSIG\s+NSEC /m);
    expect(signed).toMatch(/^example\.\s+300\s+IN\s+RRSIG\s+SOA /m);
    const again = await ask('nx.example', 'A', '+dnssec');
    expect(again).toMatch(/IN\s+NSEC\s+z\.example\./);
    const plain = await ask('nx.example', 'A');
    expect(plain).toMatch(/status: NXDOMAIN/);
    expect(plain).not.toMatch(/NSEC|RRSIG/);
    expect(up.queries).toHaveLength(2); // one per DO value
  });
});

/** The labels of a wire name (no pointers) as buffers. */
function labelsOf(wire: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; wire[p] !== 0; p += wire[p]! + 1) out.push(wire.subarray(p + 1, p + 1 + wire[p]!));
  return out;
}
