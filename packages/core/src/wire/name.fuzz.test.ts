// Properties of the name readers on any input: only WireError escapes, nothing reads past the
// message, every walk ends, and a name read as text gives back the very octets (RFC 2181 §11).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RUNS, anyMessageBytes, asciiUpper, expandName, labelsToWire, nameLabels, presentationToWire, thrown, withinMs,
} from '../../test/wire-arbitraries.js';
import { namesEqual, readName, skipName } from './name.js';
import { WireError } from './wire-error.js';

const bytesAndOffset = fc.tuple(anyMessageBytes, fc.nat({ max: 700 }));

describe('skipName (property)', () => {
  it('returns an offset inside the message past the start, or throws WireError; never hangs', () => {
    fc.assert(fc.property(bytesAndOffset, ([buf, off]) => {
      let end = -1;
      const err = thrown(() => { end = skipName(buf, off); });
      if (err !== undefined) { expect(err).toBeInstanceOf(WireError); return; }
      expect(end).toBeGreaterThan(off);
      expect(end).toBeLessThanOrEqual(buf.length);
    }), RUNS);
  });

  it('ends an uncompressed name just past its root label', () => {
    fc.assert(fc.property(nameLabels, fc.uint8Array({ maxLength: 20 }), (labels, tail) => {
      const wire = labelsToWire(labels);
      expect(skipName(Buffer.concat([wire, tail]), 0)).toBe(wire.length);
    }), RUNS);
  });
});

describe('readName (property)', () => {
  it('on any name skipName accepts: ends, throws only WireError, and its text gives back the exact octets', () => {
    fc.assert(fc.property(bytesAndOffset, ([buf, off]) => {
      try { skipName(buf, off); } catch { return; }
      let text = '';
      const err = thrown(() => { text = readName(buf, off); });
      if (err !== undefined) { expect(err).toBeInstanceOf(WireError); return; }
      expect(presentationToWire(text)).toEqual(expandName(buf, off));
    }), RUNS);
  });

  it('keeps every octet of every label: dots, backslashes, spaces, 0x00 and 0x80-0xff', () => {
    fc.assert(fc.property(nameLabels, (labels) => {
      const wire = labelsToWire(labels);
      expect(presentationToWire(readName(wire, 0))).toEqual(wire);
    }), RUNS);
  });
});

describe('namesEqual (property)', () => {
  it('folds ASCII letters only, never other octets (RFC 4343)', () => {
    fc.assert(fc.property(nameLabels, fc.nat(), (labels, pick) => {
      const wire = labelsToWire(labels);
      expect(withinMs(() => namesEqual(wire, 0, asciiUpper(wire), 0))).toBe(true);
      // Change one octet of a label to another that is not its ASCII case partner: no longer equal.
      const positions = [...wire.keys()].filter((i) => i > 0 && i < wire.length - 1 && isLabelOctet(wire, i));
      if (positions.length === 0) return;
      const i = positions[pick % positions.length]!;
      const other = Buffer.from(wire);
      const c = other[i]!;
      other[i] = c === 0xff ? 0xfe : (c ^ 0x80);
      expect(namesEqual(wire, 0, other, 0)).toBe(false);
    }), RUNS);
  });

  it('on names skipName accepts, agrees with comparing the expanded octets case-insensitively', () => {
    fc.assert(fc.property(anyMessageBytes, fc.nat({ max: 700 }), fc.nat({ max: 700 }), (buf, a, b) => {
      try { skipName(buf, a); skipName(buf, b); } catch { return; }
      const lower = (x: Buffer) => Buffer.from(x.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)));
      const want = lower(expandName(buf, a)).equals(lower(expandName(buf, b)));
      expect(withinMs(() => namesEqual(buf, a, buf, b))).toBe(want);
    }), RUNS);
  });
});

/** True when octet i of an uncompressed name is inside a label (not a length octet). */
function isLabelOctet(wire: Buffer, i: number): boolean {
  let at = 0;
  while (wire[at]! !== 0) {
    const len = wire[at]!;
    if (i > at && i <= at + len) return true;
    at += len + 1;
  }
  return false;
}
