// Properties of the reply writer: serving an upstream's message keeps every record's octets (owner,
// type, class, TTL aged as asked, RDATA with its names) whatever the compression and the octets in
// the names, and fitting to a client's size keeps whole RRsets, leaves TC clear while the answer
// section is whole, and never goes past the limit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RUNS, buildMessage, expandName, expectedRdata, labelsToWire, messageSpec, NAME_RDATA, type MessageSpec,
} from '../../test/wire-arbitraries.js';
import { DnsMessage } from '../message.js';
import { finishReply } from './finish.js';
import { scanLayout } from './layout.js';

/** A query with the same question as the reply, the case of its name changed (the client's case is echoed). */
function queryFor(spec: MessageSpec, edns: number | undefined): DnsMessage {
  const q = buildMessage({ ...spec, flags: 0x0100, answers: [], authorities: [], additionals: [], opt: edns, compress: false });
  for (let i = 12; i < q.length - 4 - (edns === undefined ? 0 : 11); i++) {
    if (q[i]! >= 0x61 && q[i]! <= 0x7a) q[i] = q[i]! & ~0x20;
  }
  return new DnsMessage(q);
}

/**
 * Names compare with ASCII case folded: a compressed name may point into the question, whose bytes are
 * the client's (its case echoed, RFC 1034 §3.1 / RFC 4343), so it takes the client's case.
 */
const lowerAscii = (b: Buffer) => Buffer.from(b.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)));

/** Records as (owner octets, type, class, ttl, uncompressed RDATA), read from a message's bytes. */
function recordsOf(buf: Buffer) {
  const l = scanLayout(buf);
  const out: string[] = [];
  for (let i = 0; i < l.an + l.ns + l.ar; i++) {
    if (i === l.opt) continue;
    const type = l.type[i]!;
    const rdAt = l.ttlAt[i]! + 6;
    const prefix = NAME_RDATA[type];
    const rdata = prefix === undefined ? buf.subarray(rdAt, l.stop[i]!) : Buffer.concat([buf.subarray(rdAt, rdAt + prefix), lowerAscii(expandName(buf, rdAt + prefix))]);
    out.push(`${l.section[i]} ${lowerAscii(expandName(buf, l.start[i]!)).toString('hex')} ${type} ${buf.readUInt16BE(l.ttlAt[i]! - 2)} ${buf.readUInt32BE(l.ttlAt[i]!)} ${rdata.toString('hex')}`);
  }
  return out;
}

const withoutTtl = (line: string) => line.split(' ').filter((_, i) => i !== 4).join(' ');

const replySpec = messageSpec.filter((m) => m.question !== undefined);

describe('finishReply (property)', () => {
  it('keeps every record\'s octets when the reply fits (names with any octets, compressed or not), TTLs aged', () => {
    fc.assert(fc.property(replySpec, fc.nat({ max: 100_000 }), fc.option(fc.constantFrom(512, 1232, 4096), { nil: undefined }), (spec, age, edns) => {
      const upstream = new DnsMessage(buildMessage({ ...spec, flags: 0x8180 }));
      upstream.ttlAge = age;
      const request = queryFor(spec, edns);
      const out = finishReply(request, upstream, { limit: 65535 });
      // The client's ID and question bytes, case and all.
      expect(out.readUInt16BE(0)).toBe(request.id);
      expect(out.subarray(12, request.questionEnd)).toEqual(request.bytes.subarray(12, request.questionEnd));
      const sec = (k: number) => (k < spec.answers.length ? 0 : k < spec.answers.length + spec.authorities.length ? 1 : 2);
      const records = [...spec.answers, ...spec.authorities, ...spec.additionals];
      const rdataOf = (rr: (typeof records)[number]) => {
        const prefix = NAME_RDATA[rr.type];
        const r = expectedRdata(rr);
        return prefix === undefined ? r : Buffer.concat([r.subarray(0, prefix), lowerAscii(r.subarray(prefix))]);
      };
      const want = records.map((rr, k) => `${sec(k)} ${lowerAscii(labelsToWire(rr.owner)).toString('hex')} ${rr.type} ${rr.class} ${rdataOf(rr).toString('hex')}`);
      const got = recordsOf(out);
      expect(got.map(withoutTtl)).toEqual(want);
      got.forEach((line, k) => {
        const ttl = Number(line.split(' ')[4]);
        const sent = records[k]!.ttl >>> 0;
        // RFC 2181 §8: a TTL with the top bit set means 0; a writer may also pass it on aged. Others age exactly.
        if (sent >= 0x80000000) expect([0, Math.max(0, sent - age)]).toContain(ttl);
        else expect(ttl).toBe(Math.max(0, sent - age));
      });
      // OPT only when the client sent one, and then the resolver's own (RFC 6891 §6.1.1).
      const l = scanLayout(out);
      expect(l.opt >= 0).toBe(edns !== undefined);
    }), RUNS);
  });

  it('fits any reply to any limit: whole RRsets, TC clear while the answer is whole, never past the limit', () => {
    fc.assert(fc.property(replySpec, fc.integer({ min: 512, max: 2000 }), fc.boolean(), (spec, limit, withEdns) => {
      const upstream = new DnsMessage(buildMessage({ ...spec, flags: 0x8180 }));
      const request = queryFor(spec, withEdns ? limit : undefined);
      const full = recordsOf(finishReply(request, upstream, { limit: 65535 }));
      const out = finishReply(request, upstream, { limit });
      const l = scanLayout(out);
      if (out.length > limit) {
        // Only a question (and OPT) too long for the limit can do that; nothing else is left in.
        expect(l.an + l.ns + l.ar - (l.opt >= 0 ? 1 : 0)).toBe(0);
        return;
      }
      const kept = recordsOf(out);
      expect(kept).toEqual(full.slice(0, kept.length));
      // RFC 2181 §9: no TC while the whole answer section went out (authority and additional may be
      // dropped whole, the SOA of a negative answer aside); TC means an answer or authority record is missing.
      const tc = (out[2]! & 0x02) !== 0;
      if (!tc) expect(kept.length).toBeGreaterThanOrEqual(spec.answers.length);
      else expect(kept.length).toBeLessThan(spec.answers.length + spec.authorities.length);
      // Whole RRsets: a kept record's RRset is kept whole.
      const full2 = scanLayout(finishReply(request, upstream, { limit: 65535 }));
      const next = kept.length;
      if (next < full.length && next > 0) expect(full2.rrsetStart[next]).toBe(1);
    }), RUNS);
  });
});
