import type { DnsRecord, MxData, SoaData, SrvData } from './message.js';
import { rcodeValue } from './rcode.js';

/**
 * One record's data: a string for A, AAAA, CNAME, NS, PTR and TXT (a string array is one TXT record of
 * several strings), an object for SRV, MX and SOA, a Buffer for any other type (raw RDATA).
 */
export type RecordData = string | readonly string[] | SrvData | MxData | SoaData | Buffer;

/** A record whose TTL differs from the rest of its RRset, to script mixed-TTL RRsets. */
export interface RecordWithTtl {
  ttl: number;
  data: RecordData;
}

/** `'web.service.consul A': { ttl: 30, data: ['10.0.0.7', '10.0.0.8'] }`: one record per element. */
export interface RecordSet {
  ttl: number;
  data: readonly (RecordData | RecordWithTtl)[];
}

/** Answer a CNAME, then follow the target through the table as an authoritative server does. */
export interface CnameEntry {
  cname: string;
  ttl: number;
}

/**
 * Answer with this rcode. NXDOMAIN and NOERROR (explicit NODATA) carry an SOA in authority: `soa` if
 * given, else the upstream's `soa` option; `soa: false` sends none. Other rcodes carry no records.
 */
export interface RcodeEntry {
  rcode: string;
  soa?: SoaSpec | false;
}

export type TableEntry = RecordSet | CnameEntry | RcodeEntry;

/**
 * Keyed `'NAME TYPE'`: the name is case-insensitive and its trailing dot optional; TYPE `*` matches
 * every type that has no entry of its own.
 */
export type RecordTable = Readonly<Record<string, TableEntry>>;

/** The zone's SOA. Every field has a default; `zone` is the owner name (default '.'). */
export interface SoaSpec extends Partial<SoaData> {
  zone?: string;
  ttl?: number;
}

/** What the table says for one question. */
export interface Lookup {
  rcode: string;
  aa: boolean;
  answers: DnsRecord[];
  authorities: DnsRecord[];
}

const MAX_CHAIN = 16;

/** 'WWW.Example.com.' -> 'www.example.com' */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

export function parseKey(key: string): { name: string; type: string } {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(key);
  if (m === null) throw new TypeError(`record key '${key}' must be 'NAME TYPE', e.g. 'web.service.consul A'`);
  return { name: normalizeName(m[1]!), type: m[2]!.toUpperCase() };
}

export function soaRecord(spec: SoaSpec): DnsRecord {
  return {
    name: spec.zone ?? '.',
    type: 'SOA',
    class: 'IN',
    ttl: spec.ttl ?? 3600,
    data: {
      mname: spec.mname ?? 'ns.fake-upstream.invalid',
      rname: spec.rname ?? 'hostmaster.fake-upstream.invalid',
      serial: spec.serial ?? 1,
      refresh: spec.refresh ?? 3600,
      retry: spec.retry ?? 600,
      expire: spec.expire ?? 86_400,
      minimum: spec.minimum ?? 300,
    },
  };
}

function withTtl(el: RecordData | RecordWithTtl): el is RecordWithTtl {
  return typeof el === 'object' && !Buffer.isBuffer(el) && !Array.isArray(el) && 'ttl' in el && 'data' in el;
}

/** The records of a fake authoritative server, and how it answers from them. */
export class Zone {
  readonly #names = new Map<string, Map<string, TableEntry>>();

  constructor(table: RecordTable = {}, readonly soa?: SoaSpec) {
    for (const [key, entry] of Object.entries(table)) this.set(key, entry);
  }

  set(key: string, entry: TableEntry): void {
    const { name, type } = parseKey(key);
    if ('rcode' in entry) rcodeValue(entry.rcode); // a typo fails here, not at the first query
    let types = this.#names.get(name);
    if (types === undefined) this.#names.set(name, (types = new Map()));
    types.set(type, entry);
  }

  remove(key: string): void {
    const { name, type } = parseKey(key);
    const types = this.#names.get(name);
    types?.delete(type);
    if (types?.size === 0) this.#names.delete(name);
  }

  /**
   * Answers as an authoritative server: the records asked for; or a CNAME followed through the table;
   * NODATA (NOERROR, no answer) for a name that has other types or names below it; NXDOMAIN for a name
   * that does not exist. The answer's first owner name is `qname` as received.
   */
  lookup(qname: string, qtype: string): Lookup {
    const type = qtype.toUpperCase();
    const answers: DnsRecord[] = [];
    const seen = new Set<string>();
    let owner = qname;
    for (;;) {
      const name = normalizeName(owner);
      if (seen.has(name) || seen.size > MAX_CHAIN) return { rcode: 'NOERROR', aa: true, answers, authorities: [] }; // a loop
      seen.add(name);
      const types = this.#names.get(name);
      const exact = types?.get(type) ?? types?.get('*');
      const entry = exact ?? (type === 'CNAME' ? undefined : types?.get('CNAME'));
      if (entry === undefined) {
        if (type === 'SOA' && this.soa !== undefined && name === normalizeName(this.soa.zone ?? '.')) {
          answers.push({ ...soaRecord(this.soa), name: owner });
          return { rcode: 'NOERROR', aa: true, answers, authorities: [] };
        }
        return this.#negative(this.#exists(name) ? 'NOERROR' : 'NXDOMAIN', answers, this.soa);
      }
      if ('rcode' in entry) {
        return this.#negative(entry.rcode.toUpperCase(), answers, entry.soa === false ? undefined : (entry.soa ?? this.soa));
      }
      let target: string | undefined;
      if ('cname' in entry) {
        answers.push({ name: owner, type: 'CNAME', class: 'IN', ttl: entry.ttl, data: entry.cname });
        if (type !== 'CNAME') target = entry.cname;
      } else {
        const rrtype = exact === undefined ? 'CNAME' : type;
        for (const el of entry.data) {
          answers.push(withTtl(el)
            ? { name: owner, type: rrtype, class: 'IN', ttl: el.ttl, data: el.data }
            : { name: owner, type: rrtype, class: 'IN', ttl: entry.ttl, data: el });
        }
        if (exact === undefined) target = String(withTtl(entry.data[0]!) ? entry.data[0].data : entry.data[0]);
      }
      if (target === undefined) return { rcode: 'NOERROR', aa: true, answers, authorities: [] };
      owner = target;
    }
  }

  /** A name exists when it has records, or names below it (an empty non-terminal), or is the SOA's zone. */
  #exists(name: string): boolean {
    if (this.soa !== undefined && name === normalizeName(this.soa.zone ?? '.')) return true;
    for (const known of this.#names.keys()) {
      if (known === name || known.endsWith(`.${name}`)) return true;
    }
    return false;
  }

  #negative(rcode: string, answers: DnsRecord[], soa: SoaSpec | undefined): Lookup {
    if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return { rcode, aa: false, answers: [], authorities: [] };
    return { rcode, aa: true, answers, authorities: soa === undefined ? [] : [soaRecord(soa)] };
  }
}
