// The structural comparison of two replies to one query: what differs, field by field.
import type { Variant } from './variants.js';
import { lowerOctets, parseReply, rcodeName, typeName, wireToName, type Parsed, type Rr } from './wire.js';
import { MAX_ZONE_TTL } from './zones.js';

export interface Difference {
  /**
   * 'reply' (one answered, the other not), 'id', 'rcode' (4 header bits), 'flag.aa' ... 'flag.cd', 'opcode',
   * 'body' (the rest parses or not), 'rcode.extended' (with the OPT's bits), 'question', 'answer', 'authority',
   * 'additional', 'opt' (absent or version and DO), 'udp-size', 'opt-options' (codes but EDE), 'ede', and dnsmesh's
   * own checks: 'ttl' (above the zone's, or differing in an RRset), 'size' (past the client's limit).
   */
  readonly field: string;
  readonly dnsmesh: string;
  readonly unbound: string;
}

/** The authoritative TTL of each RRset ('owner type class', RRSIG by covered type), from NSD's own answers. */
export type Truth = Map<string, number>;

export function rrsetKey(rr: Rr): string {
  const covered = rr.type === 46 && rr.rdata.length >= 2 ? `/${typeName(rr.rdata.readUInt16BE(0))}` : '';
  return `${wireToName(lowerOctets(rr.owner))} ${typeName(rr.type)}${covered} ${rr.class}`;
}

function rrKey(rr: Rr): string {
  return `${rrsetKey(rr)} ${rr.rdata.toString('hex')}`;
}

export function learnTruth(truth: Truth, raw: Buffer | undefined): void {
  if (raw === undefined) return;
  const p = parseReply(raw);
  if (p.malformed !== undefined) return;
  for (const rr of [...p.answer, ...p.authority, ...p.additional]) {
    const key = rrsetKey(rr);
    truth.set(key, Math.max(truth.get(key) ?? 0, rr.ttl));
  }
}

/** Whether a reply came and has a readable header. */
function replyState(raw: Buffer | undefined): string {
  if (raw === undefined) return 'no reply';
  return raw.length < 12 ? `${raw.length} octets` : 'reply';
}

/** Whether the rest of a reply parses ('ok', or what is wrong). A FORMERR may echo a broken query. */
const bodyState = (p: Parsed) => (p.malformed === undefined ? 'ok' : `malformed (${p.malformed})`);

function questionState(p: Parsed, query: Buffer): string {
  if (p.question === undefined) return 'absent';
  const end = 12 + p.question.length;
  if (query.length >= end && query.subarray(12, end).equals(p.question)) return 'echoed';
  return `other: ${wireToName(p.question)} (${p.question.toString('hex')})`;
}

function summarize(rrs: Rr[]): string {
  const counts = new Map<string, number>();
  for (const rr of rrs) counts.set(rrsetKey(rr), (counts.get(rrsetKey(rr)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}×${n}`).sort().join(', ') || '-';
}

function sectionDiff(field: string, a: Rr[], b: Rr[], out: Difference[]): void {
  const ka = new Set(a.map(rrKey));
  const kb = new Set(b.map(rrKey));
  const onlyA = a.filter((rr) => !kb.has(rrKey(rr)));
  const onlyB = b.filter((rr) => !ka.has(rrKey(rr)));
  if (onlyA.length === 0 && onlyB.length === 0) return;
  out.push({ field, dnsmesh: `only: ${summarize(onlyA)}`, unbound: `only: ${summarize(onlyB)}` });
}

const optState = (p: Parsed) => (p.opt === undefined ? 'absent' : `v${p.opt.version}${p.opt.do ? ' do' : ''}`);
const optOptions = (p: Parsed) => (p.opt?.options ?? []).map((o) => o.code).filter((c) => c !== 15).sort((x, y) => x - y).join(',') || '-';
const edeCodes = (p: Parsed) => (p.opt?.options ?? []).filter((o) => o.code === 15 && o.data.length >= 2)
  .map((o) => o.data.readUInt16BE(0)).sort((x, y) => x - y).join(',') || '-';

/** Every TTL problem of one reply: above the zone's TTL, 0 for a long-lived RRset, differing inside an RRset. */
function ttlProblems(p: Parsed, truth: Truth): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const rr of [...p.answer, ...p.authority, ...p.additional]) {
    const key = rrsetKey(rr);
    const bound = truth.get(key) ?? MAX_ZONE_TTL;
    if (rr.ttl > bound) problems.push(`${key} TTL ${rr.ttl} > ${bound}`);
    // An entry served at TTL 0 is one served past its life (Unbound refetches instead); the suite runs
    // far within 30 s, so a zone TTL of 30 s or more must never reach 0.
    if (rr.ttl === 0 && bound >= 30) problems.push(`${key} TTL 0 for a zone TTL of ${bound}`);
    const first = seen.get(key);
    if (first !== undefined && first !== rr.ttl) problems.push(`${key} TTLs differ (${first}, ${rr.ttl})`);
    seen.set(key, rr.ttl);
  }
  return [...new Set(problems)].sort();
}

/**
 * Compares dnsmesh's reply with Unbound's for one variant. Both got the same query bytes but for the
 * ID. TTLs are not compared with each other (caches age them); each is held to the zone's TTL.
 */
export function compareReplies(v: Variant, queryBytes: Buffer, dmRaw: Buffer | undefined, ubRaw: Buffer | undefined, truth: Truth): Difference[] {
  const dm = dmRaw === undefined ? undefined : parseReply(dmRaw);
  const ub = ubRaw === undefined ? undefined : parseReply(ubRaw);
  const out: Difference[] = [];
  const dmState = replyState(dmRaw);
  const ubState = replyState(ubRaw);
  if (dmState !== ubState) out.push({ field: 'reply', dnsmesh: dmState, unbound: ubState });
  // dnsmesh's own checks, whatever Unbound did.
  if (dm !== undefined && dm.malformed === undefined) {
    const size = dmRaw!.length;
    if (size > v.limit) out.push({ field: 'size', dnsmesh: `${size} > ${v.limit}`, unbound: ubRaw === undefined ? '-' : `${ubRaw.length}` });
    const problems = ttlProblems(dm, truth);
    if (problems.length > 0) out.push({ field: 'ttl', dnsmesh: problems.join('; '), unbound: ub !== undefined && ub.malformed === undefined ? ttlProblems(ub, truth).join('; ') || 'within bounds' : '-' });
  }
  if (dmState !== 'reply' || ubState !== 'reply') return out;
  const a = dm!;
  const b = ub!;
  const cmp = (field: string, x: string | number | boolean, y: string | number | boolean) => {
    if (x !== y) out.push({ field, dnsmesh: String(x), unbound: String(y) });
  };
  // The header, whatever follows it; the id must be the query's.
  cmp('id', a.id === queryBytes.readUInt16BE(0) ? 'echoed' : String(a.id), b.id === queryBytes.readUInt16BE(0) ? 'echoed' : String(b.id));
  cmp('rcode', rcodeName(a.rcode & 0xf), rcodeName(b.rcode & 0xf));
  for (const f of ['qr', 'aa', 'tc', 'rd', 'ra', 'z', 'ad', 'cd'] as const) cmp(`flag.${f}`, a[f] ? 1 : 0, b[f] ? 1 : 0);
  cmp('opcode', a.opcode, b.opcode);
  cmp('body', bodyState(a), bodyState(b));
  if (a.malformed !== undefined || b.malformed !== undefined) return out;
  cmp('rcode.extended', rcodeName(a.rcode), rcodeName(b.rcode));
  cmp('question', questionState(a, queryBytes), questionState(b, queryBytes));
  sectionDiff('answer', a.answer, b.answer, out);
  sectionDiff('authority', a.authority, b.authority, out);
  sectionDiff('additional', a.additional, b.additional, out);
  cmp('opt', optState(a), optState(b));
  if (a.opt !== undefined && b.opt !== undefined) {
    cmp('udp-size', a.opt.size, b.opt.size);
    cmp('opt-options', optOptions(a), optOptions(b));
  }
  cmp('ede', edeCodes(a), edeCodes(b));
  return out;
}
