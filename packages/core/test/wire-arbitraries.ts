// fast-check arbitraries and helpers for the wire parsers' property tests (src/**/*.fuzz.test.ts).
// Messages are built here byte by byte, with real name compression, so the parsers meet what
// servers send, what they could send, and random mutations of both.
import fc from 'fast-check';
import vm from 'node:vm';

/** Runs `fn`, failing with "hang" when it runs longer than `ms` (a synchronous loop cannot be awaited; generous, so a loaded machine never trips it). */
const context = vm.createContext({ f: undefined as unknown });
const call = new vm.Script('f()');
export function withinMs<T>(fn: () => T, ms = 3000): T {
  try {
    context.f = fn;
    return call.runInContext(context, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new Error(`hang: still running after ${ms} ms`);
    throw err;
  }
}

/** Runs `fn` and returns what it threw (undefined when it returned); a hang fails the property. */
export function thrown(fn: () => unknown): unknown {
  try { withinMs(fn); return undefined; } catch (err) {
    if (err instanceof Error && err.message.startsWith('hang:')) throw err;
    return err;
  }
}

/** A label of 1-63 arbitrary octets (dots, backslashes, NUL, 0x80-0xff and ASCII letters included). */
export const label = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 63 }),
  fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/).map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
);

/** A name as its labels, at most 255 octets on the wire. */
export const nameLabels = fc.array(label, { maxLength: 6 })
  .filter((labels) => labels.reduce((n, l) => n + l.length + 1, 1) <= 255);

export function labelsToWire(labels: readonly Uint8Array[]): Buffer {
  return Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]);
}

/** RFC 1035 §5.1 presentation form (`\.`, `\\`, `\DDD`) back to wire octets: the inverse of readName. */
export function presentationToWire(name: string): Buffer {
  if (name === '' || name === '.') return Buffer.from([0]);
  const labels: number[][] = [[]];
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\') {
      const d = /^\d{3}/.exec(name.slice(i + 1));
      if (d !== null) { labels.at(-1)!.push(Number(d[0])); i += 3; } else { labels.at(-1)!.push(name.charCodeAt(i + 1)); i += 1; }
    } else if (c === '.') labels.push([]);
    else labels.at(-1)!.push(name.charCodeAt(i));
  }
  if (labels.at(-1)!.length === 0) labels.pop();
  return Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]);
}

/** Reads the name at `at` (following pointers, no checks beyond a hop limit) as uncompressed octets. */
export function expandName(buf: Uint8Array, at: number): Buffer {
  const out: number[] = [];
  for (let hops = 0; hops < 128; hops++) {
    const len = buf[at]!;
    if ((len & 0xc0) === 0xc0) { at = ((len & 0x3f) << 8) | buf[at + 1]!; continue; }
    out.push(len);
    if (len === 0) return Buffer.from(out);
    for (let i = 1; i <= len; i++) out.push(buf[at + i]!);
    at += len + 1;
  }
  throw new Error('expandName: pointer loop');
}

export const asciiUpper = (b: Buffer) => Buffer.from(b.map((c) => (c >= 0x61 && c <= 0x7a ? c & ~0x20 : c)));

/** Record types whose RDATA is one name (compressible, RFC 3597 §4) or a 2-octet field then one name. */
export const NAME_RDATA: Record<number, number> = { 2: 0, 5: 0, 12: 0, 15: 2 };

export interface RecordSpec {
  owner: Uint8Array[];
  type: number;
  class: number;
  ttl: number;
  /** For NAME_RDATA types: the prefix octets then the name; else opaque RDATA. */
  rdata: Uint8Array;
  target: Uint8Array[];
}

export const recordSpec: fc.Arbitrary<RecordSpec> = fc.record({
  owner: nameLabels,
  type: fc.constantFrom(1, 2, 5, 12, 15, 16, 28, 33, 46, 47, 65280),
  class: fc.constantFrom(1, 1, 1, 3, 255),
  ttl: fc.oneof(fc.nat({ max: 86400 }), fc.constant(0), fc.constant(0x7fffffff), fc.constant(0x80000000), fc.constant(0xffffffff)),
  rdata: fc.uint8Array({ maxLength: 40 }),
  target: nameLabels,
});

/** Writes names with compression: each suffix already written becomes a pointer (as servers do). */
export class Writer {
  readonly parts: Buffer[] = [];
  length = 0;
  readonly #suffixes = new Map<string, number>();
  constructor(readonly compress: boolean) {}
  bytes(b: Uint8Array): void { this.parts.push(Buffer.from(b)); this.length += b.length; }
  u16(v: number): void { const b = Buffer.alloc(2); b.writeUInt16BE(v & 0xffff); this.bytes(b); }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); this.bytes(b); }
  name(labels: readonly Uint8Array[]): void {
    for (let i = 0; i < labels.length; i++) {
      const key = labelsToWire(labels.slice(i)).toString('latin1');
      const at = this.#suffixes.get(key);
      if (this.compress && at !== undefined) { this.u16(0xc000 | at); return; }
      if (this.length < 0x3fff) this.#suffixes.set(key, this.length);
      this.bytes(Uint8Array.from([labels[i]!.length, ...labels[i]!]));
    }
    this.bytes(Uint8Array.of(0));
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

export interface MessageSpec {
  id: number;
  flags: number;
  question: Uint8Array[] | undefined;
  qtype: number;
  answers: RecordSpec[];
  authorities: RecordSpec[];
  additionals: RecordSpec[];
  compress: boolean;
  /** An OPT record last in the additional section, with this UDP size. */
  opt: number | undefined;
}

export const messageSpec: fc.Arbitrary<MessageSpec> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  question: fc.option(nameLabels, { nil: undefined, freq: 8 }),
  qtype: fc.constantFrom(1, 5, 16, 28, 255),
  answers: fc.array(recordSpec, { maxLength: 5 }),
  authorities: fc.array(recordSpec, { maxLength: 3 }),
  additionals: fc.array(recordSpec, { maxLength: 3 }),
  compress: fc.boolean(),
  opt: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
});

/** The message's bytes. */
export function buildMessage(m: MessageSpec): Buffer {
  const w = new Writer(m.compress);
  w.u16(m.id); w.u16(m.flags);
  w.u16(m.question === undefined ? 0 : 1);
  w.u16(m.answers.length); w.u16(m.authorities.length); w.u16(m.additionals.length + (m.opt === undefined ? 0 : 1));
  if (m.question !== undefined) { w.name(m.question); w.u16(m.qtype); w.u16(1); }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, rr);
  if (m.opt !== undefined) { w.bytes(Uint8Array.of(0)); w.u16(41); w.u16(m.opt); w.u32(0); w.u16(0); }
  return w.done();
}

function writeRecord(w: Writer, rr: RecordSpec): void {
  w.name(rr.owner);
  w.u16(rr.type); w.u16(rr.class); w.u32(rr.ttl);
  const prefix = NAME_RDATA[rr.type];
  if (prefix === undefined) { w.u16(rr.rdata.length); w.bytes(rr.rdata); return; }
  // RDLENGTH is known only once the (maybe compressed) name is written: write it in place after.
  const lenAt = w.parts.length;
  w.u16(0);
  const before = w.length;
  w.bytes(rr.rdata.subarray(0, prefix).length === prefix ? rr.rdata.subarray(0, prefix) : new Uint8Array(prefix));
  w.name(rr.target);
  w.parts[lenAt]!.writeUInt16BE(w.length - before);
}

/** The uncompressed RDATA a record must carry: prefix octets then the target's octets, or the opaque bytes. */
export function expectedRdata(rr: RecordSpec): Buffer {
  const prefix = NAME_RDATA[rr.type];
  if (prefix === undefined) return Buffer.from(rr.rdata);
  const head = rr.rdata.subarray(0, prefix).length === prefix ? rr.rdata.subarray(0, prefix) : new Uint8Array(prefix);
  return Buffer.concat([Buffer.from(head), labelsToWire(rr.target)]);
}

/** A valid message, then mutated: octets flipped, cut, inserted, counts changed. */
export const mutatedMessage: fc.Arbitrary<Buffer> = fc.tuple(
  messageSpec.map(buildMessage),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert', 'count')), { minLength: 1, maxLength: 4 }),
).map(([msg, edits]) => {
  let b = Buffer.from(msg);
  for (const [pos, value, kind] of edits) {
    const at = b.length === 0 ? 0 : pos % b.length;
    if (kind === 'set' && b.length > 0) b[at] = value;
    else if (kind === 'cut') b = b.subarray(0, at);
    else if (kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.of(value), b.subarray(at)]);
    else if (kind === 'count' && b.length >= 12) b[4 + (value % 8)] = value & 0x0f;
  }
  return Buffer.from(b);
});

/** Random octets, a valid message, or a mutated one. */
export const anyMessageBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  messageSpec.map(buildMessage),
  mutatedMessage,
);

/** Bounded runs: a few seconds per property at most. */
export const RUNS = { numRuns: Number(process.env.DNSMESH_FUZZ_RUNS ?? 1000) };
