// Properties of the EDNS readers on any message whose layout parses: the OPT's fields come from
// inside the message, and the options read never run past the OPT's RDATA.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNS, anyMessageBytes, buildMessage, messageSpec, mutatedMessage, thrown } from '../../test/wire-arbitraries.js';
import { ednsOptions, readEdns } from './edns.js';
import { scanLayout, type Layout } from './layout.js';

const withOpt = fc.oneof(
  messageSpec.map((m) => buildMessage({ ...m, opt: m.opt ?? 1232 })),
  mutatedMessage, anyMessageBytes,
  // An OPT with random option bytes (lengths that lie included).
  fc.tuple(messageSpec, fc.uint8Array({ maxLength: 60 })).map(([m, options]) => {
    const b = buildMessage({ ...m, opt: 1232 });
    const out = Buffer.concat([b, options]);
    out.writeUInt16BE(options.length, b.length - 2);
    return out;
  }),
);

describe('readEdns and ednsOptions (property)', () => {
  it('read only inside the OPT record, never throw, never hang', () => {
    fc.assert(fc.property(withOpt, (buf) => {
      let layout: Layout;
      try { layout = scanLayout(buf); } catch { return; }
      const edns = readEdns(buf, layout);
      if (layout.opt < 0) { expect(edns).toBeUndefined(); return; }
      const e = edns!;
      expect(e.optionsAt).toBe(layout.ttlAt[layout.opt]! + 6);
      expect(e.optionsAt + e.optionsLength).toBe(layout.stop[layout.opt]);
      expect(e.udpSize).toBe(buf.readUInt16BE(layout.ttlAt[layout.opt]! - 2));
      let options: { code: number; data: Buffer }[] = [];
      expect(thrown(() => { options = ednsOptions(buf, e); })).toBeUndefined();
      let used = 0;
      for (const o of options) used += 4 + o.data.length;
      expect(used).toBeLessThanOrEqual(e.optionsLength);
    }), RUNS);
  });
});
