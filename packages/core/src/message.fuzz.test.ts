// Properties of DnsMessage on any input: every getter a query or reply goes through either answers
// or throws WireError (never a RangeError or TypeError from a read past the end), and never hangs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNS, anyMessageBytes, thrown } from '../test/wire-arbitraries.js';
import { DnsMessage } from './message.js';
import { WireError } from './wire/wire-error.js';

const GETTERS = ['id', 'flags', 'qr', 'opcode', 'aa', 'tc', 'rd', 'cd', 'qdcount', 'ancount', 'nscount', 'arcount',
  'questionEnd', 'qtype', 'qclass', 'question', 'qtypeName', 'qnameKey', 'key', 'layout', 'edns', 'do', 'rcode'] as const;

describe('DnsMessage (property)', () => {
  it('reads any bytes through every getter and checkQueryTail with WireError as the only failure', () => {
    fc.assert(fc.property(anyMessageBytes, fc.shuffledSubarray([...GETTERS]), (buf, order) => {
      // In a random order: each getter caches what it read, so the order matters.
      const m = new DnsMessage(buf);
      for (const g of [...order, 'checkQueryTail'] as const) {
        const err = thrown(() => (g === 'checkQueryTail' ? m.checkQueryTail() : m[g]));
        if (err !== undefined) expect(err, `${g} on ${buf.toString('hex')}`).toBeInstanceOf(WireError);
      }
    }), { numRuns: Math.ceil(RUNS.numRuns / 2) });
  });

  it('builds a reply with no records to any query whose header reads', () => {
    fc.assert(fc.property(anyMessageBytes.filter((b) => b.length >= 12), fc.integer({ min: 0, max: 4095 }), (buf, rcode) => {
      const request = new DnsMessage(buf);
      let reply: DnsMessage | undefined;
      const err = thrown(() => { reply = DnsMessage.reply(request, rcode); });
      expect(err).toBeUndefined();
      const r = reply!;
      expect(r.qr).toBe(true);
      expect(r.id).toBe(request.id);
      expect(r.ancount + r.nscount + r.arcount).toBe(0);
      expect(r.rcode & 0xf).toBe(rcode & 0xf);
      // Its question, when it has one, is the query's own bytes.
      if (r.qdcount === 1) expect(r.bytes.subarray(12)).toEqual(buf.subarray(12, r.bytes.length));
    }), RUNS);
  });
});
