import { isIP } from 'node:net';
import { typeFromName, type DecodedRecord } from '@dnsmesh/core';

const DEFAULT_TTL = 3600; // a zone file's default, as CoreDNS's parser uses
const CLASSES = new Set(['IN', 'CH', 'HS', 'ANY']);

/**
 * One record in zone-file text (`NAME [TTL] [CLASS] TYPE RDATA`) to a record to encode. The
 * types a template answers with: A, AAAA, CNAME, NS, PTR, DNAME, TXT, MX, SRV, SOA. Throws an Error
 * saying what is wrong.
 */
export function parseRecord(text: string): DecodedRecord {
  const words = splitWords(text.trim());
  const name = words.shift();
  if (name === undefined) throw new Error('empty record');
  let ttl = DEFAULT_TTL;
  let klass = 'IN';
  while (words.length > 0) {
    const w = words[0]!;
    if (/^\d+$/.test(w)) { ttl = Number(w); words.shift(); continue; }
    if (CLASSES.has(w.toUpperCase())) { klass = w.toUpperCase(); words.shift(); continue; }
    break;
  }
  const type = words.shift()?.toUpperCase();
  if (type === undefined || typeFromName(type) === undefined) throw new Error(`no record type in '${text}'`);
  const rr = { name: trimDot(name), ttl, class: klass, type } as DecodedRecord & { data: unknown };
  const need = (n: number): string[] => {
    if (words.length !== n) throw new Error(`${type} takes ${n} data field${n === 1 ? '' : 's'}, got ${words.length} in '${text}'`);
    return words;
  };
  switch (type) {
    case 'A': case 'AAAA': {
      const [ip] = need(1);
      if (isIP(ip!) !== (type === 'A' ? 4 : 6)) throw new Error(`'${ip}' is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`);
      rr.data = ip;
      break;
    }
    case 'CNAME': case 'NS': case 'PTR': case 'DNAME': rr.data = trimDot(need(1)[0]!); break;
    case 'TXT': if (words.length === 0) throw new Error('TXT needs a string'); rr.data = words; break;
    case 'MX': { const [p, x] = need(2); rr.data = { preference: int(p!), exchange: trimDot(x!) }; break; }
    case 'SRV': {
      const [p, w, port, target] = need(4);
      rr.data = { priority: int(p!), weight: int(w!), port: int(port!), target: trimDot(target!) };
      break;
    }
    case 'SOA': {
      const [mname, rname, ...nums] = need(7);
      const [serial, refresh, retry, expire, minimum] = nums.map(u32);
      rr.data = { mname: trimDot(mname!), rname: trimDot(rname!), serial, refresh, retry, expire, minimum };
      break;
    }
    default: throw new Error(`records of type ${type} are not supported in templates`);
  }
  return rr;
}

function int(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new Error(`expected a number from 0 to 65535, got '${text}'`);
  return Number(text);
}

function u32(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new Error(`expected a 32-bit number, got '${text}'`);
  return Number(text);
}

const trimDot = (name: string): string => (name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name);

/** Words split on blanks; a "quoted string" is one word (quotes removed, \" kept as "). */
function splitWords(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}
