import { DnsMessage, checkRdata, nameKey, scanLayout, type Layout } from '@dnsmesh/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, type Verdict } from './classify.js';
import { resolveOptions } from './options.js';
import {
  dn, ip, name, nsec, opt, ptr, query, reply, rr, rrsig, soaData, T, u16, labels,
} from '../test/wire-fixtures.js';

const opts = resolveOptions({});
const run = (q: Buffer, r: Buffer, o = opts): Verdict => classify(new DnsMessage(q), new DnsMessage(r), o);

/** The kept records as "section owner TYPE" lines (owners as dotted text: these tests use plain labels). */
function records(v: Verdict): string[] {
  if (!v.store && v.bytes === undefined) throw new Error(`not stored: ${v.reason}`);
  const bytes = v.bytes!;
  const layout: Layout = v.layout!;
  const out: string[] = [];
  for (let i = 0; i < layout.an + layout.ns + layout.ar; i++) {
    const key = nameKey(bytes, layout.start[i]!);
    let text = '';
    for (let p = 0; key.charCodeAt(p) !== 0; p += key.charCodeAt(p) + 1) text += `${key.slice(p + 1, p + 1 + key.charCodeAt(p))}.`;
    const sec = ['an', 'ns', 'ar'][layout.section[i]!];
    const type = Object.entries(T).find(([, v2]) => v2 === layout.type[i])?.[0] ?? String(layout.type[i]);
    out.push(`${sec} ${text || '.'} ${type}`);
  }
  return out;
}

const ttls = (v: Verdict): number[] => {
  const layout = v.layout!;
  return Array.from({ length: layout.an + layout.ns + layout.ar }, (_, i) => v.bytes!.readUInt32BE(layout.ttlAt[i]!));
};

describe('classify: out-of-bailiwick data', () => {
  it('drops an injected `. NS ns.evil` and its glue from a positive answer', () => {
    const q = query(dn('a.example'), T.A);
    const r = reply(q, {
      an: [rr(ptr(12), T.A, 300, ip('192.0.2.1'))],
      ns: [rr(dn('.'), T.NS, 300, dn('ns.evil')), rr(dn('example'), T.NS, 300, dn('ns1.example'))],
      ar: [rr(dn('ns.evil'), T.A, 300, ip('6.6.6.6')), rr(dn('ns1.example'), T.A, 300, ip('192.0.2.53'))],
    });
    const v = run(q, r);
    expect(v.store).toBe(true);
    expect(records(v)).toEqual(['an a.example. A']);
  });

  it('keeps glue for names the answer points at (MX), and nothing else', () => {
    const q = query(dn('example'), T.MX);
    const r = reply(q, {
      an: [rr(ptr(12), T.MX, 300, Buffer.concat([u16(10), dn('mail.example')]))],
      ar: [rr(dn('mail.example'), T.A, 300, ip('192.0.2.25')), rr(dn('www.bank'), T.A, 300, ip('6.6.6.6')),
        rr(dn('mail.example'), T.CNAME, 300, dn('evil'))],
    });
    expect(records(run(q, r))).toEqual(['an example. MX', 'ar mail.example. A']);
  });

  it("keeps a denial's SOA only when it is at or above the name, and drops NS from denials", () => {
    const q = query(dn('nx.a.example'), T.A);
    const good = reply(q, { rcode: 3, ns: [rr(dn('example'), T.SOA, 300, soaData()), rr(dn('example'), T.NS, 300, dn('ns.evil'))] });
    expect(records(run(q, good))).toEqual(['ns example. SOA']);
    const foreign = reply(q, { rcode: 3, ns: [rr(dn('other'), T.SOA, 300, soaData())] });
    const v = run(q, foreign);
    expect(v).toMatchObject({ store: false, reason: 'negative answer without SOA' });
    expect(records(v)).toEqual([]);
  });
});

describe('classify: DNSSEC proofs (RFC 4035 §3.1.3)', () => {
  const nxdomain = (q: Buffer) => reply(q, {
    rcode: 3,
    ns: [
      rr(dn('example'), T.SOA, 3600, soaData('ns.example', 300)),
      rr(dn('example'), T.RRSIG, 3600, rrsig(T.SOA, 'example')),
      rr(dn('example'), T.NSEC, 300, nsec('a.example')),
      rr(dn('example'), T.RRSIG, 300, rrsig(T.NSEC, 'example')),
      rr(dn('m.example'), T.NSEC, 300, nsec('z.example')),
      rr(dn('m.example'), T.RRSIG, 300, rrsig(T.NSEC, 'example')),
      rr(dn('evil'), T.NSEC, 300, nsec('zz.evil')),                 // not in the zone
      rr(dn('n.example'), T.NSEC, 300, nsec('over.reach')),         // next name outside the zone
    ],
  });

  it('keeps NSEC and RRSIG records of the zone in an NXDOMAIN for a DO client, with the SOA-bounded TTL', () => {
    const q = query(dn('nx.example'), T.A, { dnssec: true });
    const v = run(q, nxdomain(q));
    expect(v).toMatchObject({ store: true, kind: 'denial', ttl: 300, wholeName: true });
    expect(records(v)).toEqual([
      'ns example. SOA', 'ns example. RRSIG', 'ns example. NSEC', 'ns example. RRSIG', 'ns m.example. NSEC', 'ns m.example. RRSIG',
    ]);
    expect(ttls(v)).toEqual([300, 300, 300, 300, 300, 300]);
  });

  it('gives a DO=0 client none of them', () => {
    const q = query(dn('nx.example'), T.A, { dnssec: false });
    expect(records(run(q, nxdomain(q)))).toEqual(['ns example. SOA']);
    const plain = query(dn('nx.example'), T.A);
    expect(records(run(plain, nxdomain(plain)))).toEqual(['ns example. SOA']);
  });

  it("keeps a wildcard answer's NSEC proof and RRSIGs, zone taken from the signer", () => {
    const q = query(dn('w.example'), T.A, { dnssec: true });
    const r = reply(q, {
      an: [rr(ptr(12), T.A, 300, ip('192.0.2.7')), rr(ptr(12), T.RRSIG, 300, rrsig(T.A, 'example'))],
      ns: [rr(dn('v.example'), T.NSEC, 300, nsec('x.example')), rr(dn('v.example'), T.RRSIG, 300, rrsig(T.NSEC, 'example')),
        rr(dn('.'), T.NS, 300, dn('ns.evil')), rr(dn('evil'), T.NSEC, 300, nsec('z.evil'))],
    });
    expect(records(run(q, r))).toEqual(['an w.example. A', 'an w.example. RRSIG', 'ns v.example. NSEC', 'ns v.example. RRSIG']);
  });

  it('normalises RRSIG TTLs per type covered, not per owner (RFC 4034 §3)', () => {
    const q = query(dn('x.example'), T.MX, { dnssec: true });
    const r = reply(q, {
      an: [rr(ptr(12), T.MX, 900, Buffer.concat([u16(10), dn('mail.x.example')])), rr(ptr(12), T.RRSIG, 900, rrsig(T.MX, 'example'))],
      ar: [
        rr(dn('mail.x.example'), T.A, 100, ip('192.0.2.1')),
        rr(dn('mail.x.example'), T.AAAA, 600, Buffer.alloc(16, 1)),
        rr(dn('mail.x.example'), T.RRSIG, 100, rrsig(T.A, 'example')),
        rr(dn('mail.x.example'), T.RRSIG, 600, rrsig(T.AAAA, 'example')),
      ],
    });
    const v = run(q, r);
    expect(records(v)).toEqual(['an x.example. MX', 'an x.example. RRSIG', 'ar mail.x.example. A', 'ar mail.x.example. AAAA', 'ar mail.x.example. RRSIG', 'ar mail.x.example. RRSIG']);
    expect(ttls(v)).toEqual([900, 900, 100, 600, 100, 600]);
    expect(v).toMatchObject({ ttl: 100 });
  });
});

describe('classify: validation (malformed upstream replies are never stored)', () => {
  it('answers SERVFAIL for a CNAME whose RDATA is a pointer loop', () => {
    const q = query(dn('a.example'), T.A);
    const head = reply(q, {}).length;
    const rdataAt = head + 2 + 10;
    const r = reply(q, { an: [rr(ptr(12), T.CNAME, 300, Buffer.concat([labels('x'), ptr(rdataAt)]))] });
    expect(run(q, r)).toEqual({ store: false, reason: 'malformed', servfail: true });
  });

  it('answers SERVFAIL for counts beyond the records present and for a label over 63 octets', () => {
    const q = query(dn('a.example'), T.A);
    const r = reply(q, { an: [rr(ptr(12), T.A, 300, ip('192.0.2.1'))] });
    r.writeUInt16BE(2, 6);
    expect(run(q, r)).toMatchObject({ reason: 'malformed', servfail: true });
    const long = reply(q, { an: [rr(ptr(12), T.CNAME, 300, Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])]))] });
    expect(run(q, long)).toMatchObject({ reason: 'malformed', servfail: true });
  });

  it('answers SERVFAIL for a CNAME loop, including a name aliased to itself', () => {
    const q = query(dn('a.example'), T.A);
    const loop = reply(q, { an: [rr(ptr(12), T.CNAME, 300, dn('b.example')), rr(dn('b.example'), T.CNAME, 300, dn('a.example'))] });
    expect(run(q, loop)).toEqual({ store: false, reason: 'CNAME loop', servfail: true });
    const self = reply(q, { an: [rr(ptr(12), T.CNAME, 300, dn('A.example'))] });
    expect(run(q, self)).toMatchObject({ reason: 'CNAME loop' });
  });

  it('ignores bytes after the last record (as Unbound does) and does not store them', () => {
    const q = query(dn('a.example'), T.A);
    const r = Buffer.concat([reply(q, { an: [rr(ptr(12), T.A, 300, ip('192.0.2.1'))] }), Buffer.from('garbage')]);
    const v = run(q, r);
    expect(v.store).toBe(true);
    expect(v.bytes!.length).toBe(v.layout!.end);
  });

  it('treats a TTL with the top bit set as 0 (RFC 2181 §8): MINTTL applies, or nothing is stored', () => {
    const q = query(dn('a.example'), T.A);
    const r = reply(q, { an: [rr(ptr(12), T.A, 0x8000_0e10, ip('192.0.2.1'))] });
    expect(run(q, r)).toMatchObject({ store: true, ttl: 5 });
    expect(run(q, r, resolveOptions({ success: { minTtl: 0 } }))).toMatchObject({ store: false, reason: 'TTL 0' });
  });

  it('never stores FORMERR, REFUSED or NOTIMP, with or without a question', () => {
    const q = query(dn('a.example'), T.A);
    for (const rcode of [1, 4, 5]) {
      expect(run(q, reply(q, { rcode })).store).toBe(false);
      const bare = Buffer.concat([u16(0x4242), u16(0x8180 | rcode), u16(0), u16(0), u16(0), u16(0)]);
      expect(run(q, bare)).toMatchObject({ store: false });
    }
  });

  it('stores the usual reply (one RRset at the question name, then an OPT) as the general scrub does, layout and TTLs alike', () => {
    const q = query(dn('a.example'), T.A, { dnssec: false });
    const answers = (owner: Buffer) => [rr(owner, T.A, 300, ip('192.0.2.1')), rr(owner, T.A, 60, ip('192.0.2.2')), rr(owner, T.A, 0x8000_0001, ip('192.0.2.3'))];
    const glue = rr(dn('x.example'), T.A, 300, ip('6.6.6.6'));
    for (const o of [opts, resolveOptions({ success: { minTtl: 30, maxTtl: 45 } }), resolveOptions({ success: { minTtl: 0 } })]) {
      for (const [owner, ar] of [[ptr(12), []], [ptr(12), [opt(false)]], [dn('A.example'), [opt(false)]]] as const) {
        const simple = run(q, reply(q, { an: answers(owner), ar: [...ar] }), o);
        // A stray additional record makes it not simple: scrub (which drops it) and rebuild.
        const general = run(q, reply(q, { an: answers(owner), ar: [glue, ...ar] }), o);
        expect(simple.store).toBe(general.store);
        const gist = (v: Verdict) => ({ store: v.store, reason: (v as { reason?: string }).reason, ttl: (v as { ttl?: number }).ttl, kind: (v as { kind?: string }).kind });
        expect(gist(simple)).toEqual(gist(general));
        expect(records(simple)).toEqual(records(general));
        expect(ttls(simple)).toEqual(ttls(general));
        const fresh = scanLayout(simple.bytes!);
        const layout = simple.layout!;
        expect(simple.bytes!.readUInt16BE(10)).toBe(0);                     // no OPT kept
        expect({ ...layout, start: [...layout.start], ttlAt: [...layout.ttlAt], stop: [...layout.stop], type: [...layout.type], section: [...layout.section], rrsetStart: [...layout.rrsetStart] })
          .toEqual({ ...fresh, start: [...fresh.start], ttlAt: [...fresh.ttlAt], stop: [...fresh.stop], type: [...fresh.type], section: [...fresh.section], rrsetStart: [...fresh.rrsetStart] });
      }
    }
    // Not the simple shape (a record owned by another name): the general way, which drops that record.
    const mixed = run(q, reply(q, { an: [rr(ptr(12), T.A, 300, ip('192.0.2.1')), rr(dn('b.example'), T.A, 300, ip('6.6.6.6'))] }));
    expect(records(mixed)).toEqual(['an a.example. A']);
  });

  it('property: any reply either is refused as malformed or yields a well-formed copy whose names are the original octets', () => {
    const labelArb = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b));
    const nameArb = fc.array(labelArb, { minLength: 0, maxLength: 4 });
    let copies = 0;
    const recordArb = fc.record({
      owner: nameArb, type: fc.constantFrom(T.A, T.CNAME, T.NS, T.MX, T.TXT, T.SOA, 65280),
      target: nameArb, ttl: fc.nat(), section: fc.nat(2), compress: fc.boolean(),
    });
    fc.assert(fc.property(nameArb, fc.array(recordArb, { maxLength: 8 }), fc.option(fc.array(fc.nat(), { maxLength: 4 })), (qlabels, recs, noise) => {
      const q = query(name(...qlabels), T.A);
      const bySection = [[], [], []] as Buffer[][];
      for (const r of recs) {
        const owner = r.compress ? ptr(12) : name(...r.owner);
        const target = name(...r.target);
        const rdata = r.type === T.A ? ip('192.0.2.1') : r.type === T.MX ? Buffer.concat([u16(1), target])
          : r.type === T.SOA ? Buffer.concat([target, target, Buffer.alloc(20)]) : r.type === T.TXT ? Buffer.from([3, 0x61, 0x62, 0x63]) : target;
        const rec = rr(owner, r.type, r.ttl, rdata);
        bySection[r.section]!.push(rec);
      }
      const msg = reply(q, { an: bySection[0], ns: bySection[1], ar: bySection[2] });
      // Noise: random bytes written over the message (a hostile upstream).
      for (const n of noise ?? []) msg[12 + (n % Math.max(1, msg.length - 12))] = n & 0xff;
      const v = run(q, msg);
      if (v.bytes === undefined) return; // refused (malformed, loop, mismatch) or not a cacheable shape
      copies++;
      const layout = scanLayout(v.bytes);
      checkRdata(v.bytes, layout);
      const orig = scanLayout(msg);
      const origOwners = new Set(Array.from({ length: orig.an + orig.ns + orig.ar }, (_, i) => exact(msg, orig.start[i]!)));
      for (let i = 0; i < layout.an + layout.ns + layout.ar; i++) expect(origOwners.has(exact(v.bytes, layout.start[i]!))).toBe(true);
      expect(exact(v.bytes, 12)).toBe(exact(msg, 12));
    }), { numRuns: 400, seed: 1234 });
    expect(copies).toBeGreaterThan(100); // the property is not vacuous: most runs make a copy
  });
});

/** A name's exact octets (case kept), pointers followed, as a latin1 string. */
function exact(buf: Uint8Array, off: number): string {
  let pos = off;
  let out = '';
  for (;;) {
    const l = buf[pos]!;
    if ((l & 0xc0) === 0xc0) { pos = ((l & 0x3f) << 8) | buf[pos + 1]!; continue; }
    out += String.fromCharCode(l);
    if (l === 0) return out;
    for (let i = 1; i <= l; i++) out += String.fromCharCode(buf[pos + i]!);
    pos += l + 1;
  }
}
