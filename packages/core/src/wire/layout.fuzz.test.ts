// Properties of scanLayout on any input: only WireError escapes, and a layout it returns describes
// the message truly (every offset inside it, records back to back, types and counts as in the bytes).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNS, anyMessageBytes, buildMessage, expandName, labelsToWire, messageSpec, thrown } from '../../test/wire-arbitraries.js';
import { scanLayout, type Layout } from './layout.js';
import { WireError } from './wire-error.js';

describe('scanLayout (property)', () => {
  it('throws only WireError, never hangs, and every offset of a layout lies within the message', () => {
    fc.assert(fc.property(anyMessageBytes, (buf) => {
      let layout: Layout | undefined;
      const err = thrown(() => { layout = scanLayout(buf); });
      if (err !== undefined) { expect(err).toBeInstanceOf(WireError); return; }
      const l = layout!;
      const count = l.an + l.ns + l.ar;
      expect(l.an).toBe(buf.readUInt16BE(6));
      expect(l.ns).toBe(buf.readUInt16BE(8));
      expect(l.ar).toBe(buf.readUInt16BE(10));
      expect(l.questionEnd).toBeGreaterThanOrEqual(12);
      expect(l.end).toBeLessThanOrEqual(buf.length);
      let at = l.questionEnd;
      for (let i = 0; i < count; i++) {
        expect(l.start[i]).toBe(at);
        expect(l.ttlAt[i]! - 4).toBeGreaterThan(l.start[i]!);
        expect(l.ttlAt[i]! + 6).toBeLessThanOrEqual(l.stop[i]!);
        expect(l.stop[i]).toBe(l.ttlAt[i]! + 6 + buf.readUInt16BE(l.ttlAt[i]! + 4));
        expect(l.type[i]).toBe(buf.readUInt16BE(l.ttlAt[i]! - 4));
        expect(l.section[i]).toBe(i < l.an ? 0 : i < l.an + l.ns ? 1 : 2);
        at = l.stop[i]!;
      }
      expect(l.end).toBe(at);
      if (l.opt >= 0) {
        expect(l.type[l.opt]).toBe(41);
        expect(l.section[l.opt]).toBe(2);
        expect(l.type.filter((t) => t === 41).length).toBe(1);
      } else {
        expect(l.type.includes(41)).toBe(false);
      }
    }), RUNS);
  });

  it('on a well-formed message: the question and each record where the builder put them, RRsets marked where owner, type, class or section change', () => {
    fc.assert(fc.property(messageSpec, (spec) => {
      const buf = buildMessage(spec);
      const l = scanLayout(buf);
      const records = [...spec.answers, ...spec.authorities, ...spec.additionals];
      expect(l.an + l.ns + l.ar).toBe(records.length + (spec.opt === undefined ? 0 : 1));
      if (spec.question !== undefined) expect(expandName(buf, 12)).toEqual(labelsToWire(spec.question));
      const lower = (b: Buffer) => b.toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase());
      records.forEach((rr, i) => {
        expect(expandName(buf, l.start[i]!)).toEqual(labelsToWire(rr.owner));
        expect(l.type[i]).toBe(rr.type);
        expect(buf.readUInt32BE(l.ttlAt[i]!)).toBe(rr.ttl >>> 0);
        const prev = records[i - 1];
        const sectionOf = (k: number) => (k < spec.answers.length ? 0 : k < spec.answers.length + spec.authorities.length ? 1 : 2);
        const starts = i === 0 || prev === undefined || sectionOf(i) !== sectionOf(i - 1) || prev.type !== rr.type || prev.class !== rr.class
          || lower(labelsToWire(prev.owner)) !== lower(labelsToWire(rr.owner));
        expect(l.rrsetStart[i], `record ${i}`).toBe(starts ? 1 : 0);
      });
      expect(l.end).toBe(buf.length);
    }), RUNS);
  });
});
