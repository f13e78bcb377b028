// Every query variant the suite sends to Unbound and dnsmesh alike.
import { buildRawQuery, nameToWire, optRecord, type EdnsSpec, type QuerySpec } from './wire.js';
import { FIT_SIZES } from './zones.js';

export type Transport = 'udp' | 'tcp';

export interface Variant {
  /** A readable name, unique: what the expected-differences table and a failure message show. */
  readonly id: string;
  readonly transport: Transport;
  /** The query's bytes for a given ID. */
  bytes(id: number): Buffer;
  /** The most octets the client takes: 65535 over TCP, else its EDNS size (at least 512) or 512. */
  readonly limit: number;
  /** What the variant is about, for the table's matchers: 'meta-type', 'class', 'malformed', ... */
  readonly tags: ReadonlySet<string>;
  /** The question as sent (undefined for malformed queries without one). */
  readonly spec: QuerySpec | undefined;
}

const T = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, NULL: 10, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNAME: 39, OPT: 41, DS: 43,
  RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, NSEC3PARAM: 51, HTTPS: 65, TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252,
  MAILB: 253, MAILA: 254, ANY: 255, CAA: 257, TYPE65280: 65280,
} as const;
const TYPE_OF: Record<number, string> = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k]));
const tname = (t: number) => TYPE_OF[t] ?? `TYPE${t}`;
const CLASS_OF: Record<number, string> = { 0: 'CLASS0', 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANYCLASS' };

function limitOf(transport: Transport, edns: EdnsSpec | undefined): number {
  if (transport === 'tcp') return 65535;
  return edns === undefined ? 512 : Math.max(512, edns.size);
}

function describe(spec: QuerySpec): string {
  const parts = [tname(spec.qtype), spec.qname];
  if ((spec.qclass ?? 1) !== 1) parts.push(CLASS_OF[spec.qclass!] ?? `CLASS${spec.qclass}`);
  if ((spec.opcode ?? 0) !== 0) parts.push(`opcode=${spec.opcode}`);
  if (spec.rd === false) parts.push('rd=0');
  if (spec.cd === true) parts.push('cd');
  if (spec.ad === true) parts.push('ad');
  if (spec.z === true) parts.push('z');
  const e = spec.edns;
  if (e !== undefined) {
    parts.push(`edns=${e.size}`);
    if ((e.version ?? 0) !== 0) parts.push(`v${e.version}`);
    if (e.do === true) parts.push('do');
    if ((e.z ?? 0) !== 0) parts.push('optz');
    // The length too: options of one code and other lengths (cookies of 8 and 24 octets) are other variants.
    for (const o of e.options ?? []) parts.push(`opt${o.code}/${o.data.length}`);
  }
  return parts.join(' ');
}

function variant(spec: QuerySpec, transport: Transport, tags: string[]): Variant {
  return {
    id: `${transport} ${describe(spec)}`, transport, limit: limitOf(transport, spec.edns), tags: new Set(tags), spec,
    bytes: (id) => buildRawQuery(spec, id),
  };
}

function malformed(id: string, transport: Transport, build: (id: number) => Buffer, tags: string[] = []): Variant {
  return { id: `${transport} malformed: ${id}`, transport, limit: transport === 'tcp' ? 65535 : 512, tags: new Set(['malformed', ...tags]), spec: undefined, bytes: build };
}

const E1232: EdnsSpec = { size: 1232 };
const DO: EdnsSpec = { size: 1232, do: true };

/** The zone matrix: names and types that exercise each shape in the zones. */
const ZONE_QUESTIONS: [string, number, string[]][] = [
  ['example', T.SOA, []], ['example', T.NS, []], ['example', T.MX, ['nodata']],
  ['www.example', T.A, []], ['WwW.ExAmPlE', T.A, ['case']], ['www.example', T.AAAA, ['nodata']], ['www.example', T.TXT, []],
  ['www.example', T.MX, ['additional']], ['_http._tcp.example', T.SRV, ['additional']],
  ['nope.example', T.A, ['nxdomain']], ['deep.nope.example', T.TXT, ['nxdomain']],
  ['short.example', T.A, ['ttl']], ['zero.example', T.A, ['ttl']], ['mixed.case.example', T.A, ['case']],
  ['a.b.wild.example', T.A, ['wildcard']], ['x.wild.example', T.TXT, ['wildcard']], ['x.wild.example', T.AAAA, ['wildcard', 'nodata']],
  ['esc\\.dot.wild.example', T.A, ['escaped']], ['sp\\032ace.example', T.A, ['escaped']],
  ['\\255.example', T.A, ['non-ascii']], ['\\200x.example', T.A, ['non-ascii']], ['\\200X.example', T.A, ['non-ascii', 'case']],
  ['c1.example', T.A, ['cname']], ['c3.example', T.CNAME, ['cname']], ['dangling.example', T.A, ['cname', 'nxdomain']],
  ['out.example', T.A, ['cname', 'cross-zone']],
  ['loop1.example', T.A, ['cname-loop']], ['self.example', T.A, ['cname-loop']],
  ['x.d.example', T.A, ['dname']], ['d.example', T.DNAME, ['dname']], ['nope.d.example', T.A, ['dname', 'nxdomain']],
  ['unknown.example', T.TYPE65280, ['unknown-type']],
  ['big600.example', T.TXT, ['big']], ['big1300.example', T.TXT, ['big']], ['big5000.example', T.TXT, ['big']],
  ['host.sub.example', T.A, ['referral']], ['sub.example', T.NS, ['referral']],
  ['www.signed.example', T.A, ['dnssec']], ['nope.signed.example', T.A, ['dnssec', 'nxdomain']],
  ['www.signed.example', T.AAAA, ['dnssec', 'nodata']], ['x.wild.signed.example', T.A, ['dnssec', 'wildcard']],
  ['cn.signed.example', T.A, ['dnssec', 'cname']], ['signed.example', T.DNSKEY, ['dnssec']],
  ['www.nsec3.example', T.A, ['dnssec']], ['nope.nsec3.example', T.A, ['dnssec', 'nxdomain']],
  ['www.nsec3.example', T.AAAA, ['dnssec', 'nodata']], ['x.wild.nsec3.example', T.A, ['dnssec', 'wildcard']],
  ['nsec3.example', T.NSEC3PARAM, ['dnssec']],
  // Odd octets where a cache that drops proofs or rebuilds a reply would rewrite names (issue 14 items 1, 2).
  ['esc\\.dot.wild.signed.example', T.A, ['dnssec', 'wildcard', 'escaped']], ['\\255.wild.signed.example', T.A, ['dnssec', 'wildcard', 'non-ascii']],
  ['sp\\032ace.wild.nsec3.example', T.A, ['dnssec', 'wildcard', 'escaped']], ['\\200x.signed.example', T.A, ['dnssec', 'non-ascii']],
  ['zzz.signed.example', T.A, ['dnssec', 'nxdomain', 'non-ascii']], ['esc\\.dot.signed.example', T.TXT, ['dnssec', 'nodata', 'escaped']],
];

/** Types asked at www.example: ordinary ones, DNSSEC ones, and meta-types (RFC 6895 §3.1). */
const TYPES_AT_WWW: [number, string[]][] = [
  [T.NULL, []], [T.HINFO, []], [T.CAA, []], [T.HTTPS, []], [T.DS, ['dnssec-type']], [T.RRSIG, ['dnssec-type']],
  [T.NSEC, ['dnssec-type']], [T.DNSKEY, ['dnssec-type']], [0, ['meta-type', 'type0']], [T.OPT, ['meta-type', 'opt-type']],
  [T.TKEY, ['meta-type']], [T.TSIG, ['meta-type']], [T.MAILA, ['meta-type', 'mail-type']], [T.MAILB, ['meta-type', 'mail-type']],
  [128, ['meta-type']], [T.ANY, ['any']], [T.AXFR, ['xfr', 'axfr']], [T.IXFR, ['xfr', 'ixfr']], [65535, []],
];

export function allVariants(): Variant[] {
  const out: Variant[] = [];
  // 1. The zone matrix: plain, EDNS, DO; over UDP and TCP.
  for (const [qname, qtype, tags] of ZONE_QUESTIONS) {
    for (const transport of ['udp', 'tcp'] as const) {
      out.push(variant({ qname, qtype }, transport, tags));
      out.push(variant({ qname, qtype, edns: E1232 }, transport, tags));
      out.push(variant({ qname, qtype, edns: DO }, transport, [...tags, 'do']));
    }
  }
  // 2. Types, meta-types and transfers.
  for (const [qtype, tags] of TYPES_AT_WWW) {
    out.push(variant({ qname: 'www.example', qtype, edns: E1232 }, 'udp', tags));
    if (tags.includes('xfr') || qtype === T.ANY) out.push(variant({ qname: 'example', qtype, edns: E1232 }, 'tcp', tags));
  }
  out.push(variant({ qname: 'example', qtype: T.AXFR }, 'tcp', ['xfr', 'axfr']));
  // 3. Classes.
  for (const qclass of [3, 4, 254, 255, 0]) {
    out.push(variant({ qname: 'www.example', qtype: T.A, qclass, edns: E1232 }, 'udp', ['class']));
  }
  for (const qname of ['version.bind', 'hostname.bind', 'id.server', 'version.server']) {
    out.push(variant({ qname, qtype: T.TXT, qclass: 3, edns: E1232 }, 'udp', ['class', 'chaos']));
  }
  // 4. Opcodes.
  for (const opcode of [1, 2, 3, 4, 5, 6, 15]) {
    out.push(variant({ qname: 'www.example', qtype: T.A, opcode, edns: E1232 }, 'udp', ['opcode']));
  }
  // 5. Header flags.
  for (const [flags, tags] of [
    [{ rd: false }, ['rd0']], [{ cd: true }, ['cd']], [{ ad: true }, ['ad']], [{ z: true }, ['hz']],
    [{ cd: true, ad: true }, ['cd', 'ad']],
  ] as [Partial<QuerySpec>, string[]][]) {
    for (const qname of ['www.example', 'www.signed.example']) {
      out.push(variant({ qname, qtype: T.A, edns: E1232, ...flags }, 'udp', tags));
      out.push(variant({ qname, qtype: T.A, edns: DO, ...flags }, 'udp', [...tags, 'do']));
    }
  }
  out.push(variant({ qname: 'never-cached.example', qtype: T.A, rd: false }, 'udp', ['rd0', 'nxdomain']));
  // 6. EDNS sizes, versions, options, flag bits.
  for (const size of [0, 100, 511, 512, 1232, 1400, 4096, 65535]) {
    for (const qname of ['www.example', 'big600.example', 'big1300.example', 'big5000.example']) {
      out.push(variant({ qname, qtype: qname.startsWith('big') ? T.TXT : T.A, edns: { size } }, 'udp', ['edns-size', ...(qname.startsWith('big') ? ['big'] : [])]));
    }
  }
  // Answers that fit in 512 octets only without the authority's NS and glue (RFC 2181 §9: TC clear).
  for (const n of FIT_SIZES) {
    out.push(variant({ qname: `fit${n}.example`, qtype: T.TXT }, 'udp', ['fit', 'edns-size']));
    out.push(variant({ qname: `fit${n}.example`, qtype: T.TXT, edns: { size: 512 } }, 'udp', ['fit', 'edns-size']));
  }
  out.push(variant({ qname: 'www.signed.example', qtype: T.A, edns: { size: 512, do: true } }, 'udp', ['edns-size', 'do', 'dnssec']));
  out.push(variant({ qname: 'nope.signed.example', qtype: T.A, edns: { size: 512, do: true } }, 'udp', ['edns-size', 'do', 'dnssec', 'nxdomain']));
  for (const version of [1, 255]) {
    out.push(variant({ qname: 'www.example', qtype: T.A, edns: { size: 1232, version } }, 'udp', ['edns-version']));
    out.push(variant({ qname: 'www.example', qtype: T.A, edns: { size: 1232, version } }, 'tcp', ['edns-version']));
  }
  const cookie = Buffer.from('0123456789abcdef', 'hex');
  for (const [options, tags] of [
    [[{ code: 10, data: cookie }], ['cookie']],
    [[{ code: 10, data: Buffer.concat([cookie, Buffer.from('00112233445566778899aabbccddeeff', 'hex')]) }], ['cookie']],
    // COOKIE lengths no cookie has (RFC 7873 §5.2.2: FORMERR): dig's `+ednsopt=10:ab`, 9 and 41 octets.
    [[{ code: 10, data: Buffer.from([0xab]) }], ['cookie', 'bad-cookie']],
    [[{ code: 10, data: Buffer.concat([cookie, Buffer.from([1])]) }], ['cookie', 'bad-cookie']],
    [[{ code: 10, data: Buffer.alloc(41, 7) }], ['cookie', 'bad-cookie']],
    [[{ code: 3, data: Buffer.alloc(0) }], ['nsid']],
    [[{ code: 65001, data: Buffer.from('unknown') }], ['unknown-option']],
    [[{ code: 12, data: Buffer.alloc(64) }], ['padding']],
    [[{ code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) }], ['ecs']],
    [[{ code: 3, data: Buffer.alloc(0) }, { code: 10, data: cookie }, { code: 65001, data: Buffer.alloc(3) }], ['nsid', 'cookie', 'unknown-option']],
  ] as [{ code: number; data: Buffer }[], string[]][]) {
    out.push(variant({ qname: 'www.example', qtype: T.A, edns: { size: 1232, options } }, 'udp', ['edns-option', ...tags]));
  }
  out.push(variant({ qname: 'www.example', qtype: T.A, edns: { size: 1232, z: 0x4000 } }, 'udp', ['opt-z']));
  out.push(variant({ qname: 'www.example', qtype: T.A, edns: { size: 1232, do: true, z: 0x7fff } }, 'udp', ['opt-z', 'do']));
  // 7. Malformed queries (RFC 1035 §4.1, RFC 6891 §6.1.1).
  const good = (id: number, edns?: EdnsSpec) => buildRawQuery({ qname: 'www.example', qtype: T.A, edns }, id);
  const withCounts = (b: Buffer, qd: number, an: number, ns: number, ar: number) => {
    const out2 = Buffer.from(b);
    out2.writeUInt16BE(qd, 4); out2.writeUInt16BE(an, 6); out2.writeUInt16BE(ns, 8); out2.writeUInt16BE(ar, 10);
    return out2;
  };
  const aRecord = Buffer.concat([nameToWire('www.example'), Buffer.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 99])]);
  for (const transport of ['udp', 'tcp'] as const) {
    const m = (id: string, build: (id: number) => Buffer, tags: string[] = []) => out.push(malformed(id, transport, build, tags));
    m('two OPT records', (id) => withCounts(Buffer.concat([good(id, E1232), optRecord(E1232)]), 1, 0, 0, 2), ['bad-opt', 'edns']);
    m('OPT owner not root', (id) => optOwnedByA(good(id)), ['bad-opt', 'edns']);
    m('OPT option longer than its RDATA', (id) => {
      const b = good(id, { size: 1232, options: [{ code: 65001, data: Buffer.alloc(4) }] });
      b.writeUInt16BE(40, b.length - 6); // the option's length field
      return b;
    }, ['bad-opt', 'edns']);
    m('OPT RDLENGTH past the end', (id) => { const b = good(id, E1232); b.writeUInt16BE(50, b.length - 2); return b; }, ['bad-opt', 'edns']);
    m('OPT cut short', (id) => good(id, E1232).subarray(0, -4), ['bad-opt', 'edns']);
    m('OPT in the answer section', (id) => withCounts(good(id, E1232), 1, 1, 0, 0), ['bad-opt', 'edns']);
    m('QDCOUNT 0', (id) => withCounts(buildRawQuery({ qname: 'www.example', qtype: T.A }, id).subarray(0, 12), 0, 0, 0, 0), ['no-question']);
    m('QDCOUNT 0 with EDNS', (id) => withCounts(Buffer.concat([Buffer.from(good(id).subarray(0, 12)), optRecord(E1232)]), 0, 0, 0, 1), ['no-question', 'edns']);
    m('QDCOUNT 2', (id) => withCounts(Buffer.concat([good(id), good(id).subarray(12)]), 2, 0, 0, 0));
    m('an A record in the answer section', (id) => withCounts(Buffer.concat([good(id), aRecord]), 1, 1, 0, 0));
    m('an A record in the authority section', (id) => withCounts(Buffer.concat([good(id), aRecord]), 1, 0, 1, 0));
    m('an A record in the additional section', (id) => withCounts(Buffer.concat([good(id), aRecord]), 1, 0, 0, 1));
    m('an A record and an OPT in the additional section', (id) => withCounts(Buffer.concat([good(id), aRecord, optRecord(E1232)]), 1, 0, 0, 2), ['edns']);
    m('trailing garbage after the question', (id) => Buffer.concat([good(id), Buffer.from('garbage')]));
    m('TC set in a query', (id) => { const b = good(id, E1232); b[2] = b[2]! | 0x02; return b; }, ['edns']);
    m('label longer than 63', (id) => Buffer.concat([good(id).subarray(0, 12), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]));
    m('compression loop in the question', (id) => Buffer.concat([good(id).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]));
    m('question cut short', (id) => good(id).subarray(0, 20));
  }
  // QR=1 and a header shorter than 12 octets: dropped by every server.
  out.push(malformed('QR set', 'udp', (id) => { const b = good(id); b[2] = b[2]! | 0x80; return b; }, ['dropped']));
  out.push(malformed('11 octets', 'udp', (id) => good(id).subarray(0, 11), ['dropped']));
  // The same query from two lists (e.g. `www.example A edns=1232`) is sent once.
  const ids = new Set<string>();
  return out.filter((v) => !ids.has(v.id) && ids.add(v.id) !== undefined);
}

/** A query whose OPT owner is `a.` instead of the root. */
function optOwnedByA(plain: Buffer): Buffer {
  const b = Buffer.concat([plain, Buffer.from([1, 0x61, 0]), optRecord(E1232).subarray(1)]);
  b.writeUInt16BE(1, 10);
  return b;
}
