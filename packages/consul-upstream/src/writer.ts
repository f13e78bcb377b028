import {
  DnsMessage, FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RD, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_FLAGS, OFF_NSCOUNT,
  OFF_QDCOUNT, OPCODE_MASK, RCODE_MASK, RRType, WireError, type Ttl,
} from '@dnsmesh/core';
import { ipv6Bytes } from './names.js';

const CLASS_IN = 1;
const MAX_POINTER = 0x3fff;

/**
 * Writes a reply from scratch, straight to wire bytes: the request's header and question (its
 * exact bytes), AA set, then records section by section, with names compressed against every name
 * written before (the question's included, so answers carry the client's case). SRV targets are
 * written whole (RFC 2782) but later names may point into them. No dns-packet on this path.
 */
export class ReplyWriter {
  #buf: Buffer;
  #len: number;
  readonly #names = new Map<string, number>();
  readonly #counts = [0, 0, 0];
  #section: 0 | 1 | 2 = 0;

  constructor(request: DnsMessage, rcode: number) {
    const qEnd = request.questionEnd;
    this.#buf = Buffer.allocUnsafe(Math.max(512, qEnd + 256));
    request.bytes.copy(this.#buf, 0, 0, qEnd);
    this.#len = qEnd;
    const flags = FLAG_QR | FLAG_AA | (request.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (rcode & RCODE_MASK);
    this.#buf.writeUInt16BE(flags, OFF_FLAGS);
    this.#buf.writeUInt16BE(qEnd > HEADER_SIZE ? 1 : 0, OFF_QDCOUNT);
    this.#rememberQuestion(qEnd);
  }

  /** Records written from now on go to the authority (1) or additional (2) section. */
  section(s: 1 | 2): this {
    this.#section = s;
    return this;
  }

  a(owner: string, ttl: Ttl, ip: string): this {
    this.#header(owner, RRType.A, ttl);
    const at = this.#rdStart(4);
    const parts = ip.split('.');
    for (let i = 0; i < 4; i++) this.#buf[this.#len++] = Number(parts[i]) & 0xff;
    return this.#rdEnd(at);
  }

  aaaa(owner: string, ttl: Ttl, ip: string): this {
    this.#header(owner, RRType.AAAA, ttl);
    const at = this.#rdStart(16);
    ipv6Bytes(ip).copy(this.#buf, this.#len);
    this.#len += 16;
    return this.#rdEnd(at);
  }

  srv(owner: string, ttl: Ttl, priority: number, weight: number, port: number, target: string): this {
    this.#header(owner, RRType.SRV, ttl);
    const at = this.#rdStart(6 + 256);
    this.#buf.writeUInt16BE(priority, this.#len);
    this.#buf.writeUInt16BE(weight, this.#len + 2);
    this.#buf.writeUInt16BE(port, this.#len + 4);
    this.#len += 6;
    this.#name(target, false);
    return this.#rdEnd(at);
  }

  /** NS, CNAME or PTR: a name as RDATA (compressible, RFC 1035 §4.1.4). */
  nameRecord(owner: string, type: 2 | 5 | 12, ttl: Ttl, target: string): this {
    this.#header(owner, type, ttl);
    const at = this.#rdStart(256);
    this.#name(target.endsWith('.') ? target : `${target}.`, true);
    return this.#rdEnd(at);
  }

  txt(owner: string, ttl: Ttl, strings: readonly string[]): this {
    this.#header(owner, RRType.TXT, ttl);
    const bytes = strings.map((s) => Buffer.from(s, 'utf8').subarray(0, 255));
    const at = this.#rdStart(bytes.reduce((n, b) => n + 1 + b.length, 0) || 1);
    if (bytes.length === 0) this.#buf[this.#len++] = 0;
    for (const b of bytes) {
      this.#buf[this.#len++] = b.length;
      b.copy(this.#buf, this.#len);
      this.#len += b.length;
    }
    return this.#rdEnd(at);
  }

  soa(zone: string, ttl: Ttl, minimum: Ttl): this {
    const apex = zone === '.' ? '' : zone;
    this.#header(zone, RRType.SOA, ttl);
    const at = this.#rdStart(2 * 256 + 20);
    this.#name(`ns.${apex}`, true);
    this.#name(`hostmaster.${apex}`, true);
    const serial = Math.floor(Date.now() / 1000) >>> 0;
    for (const v of [serial, 3600, 600, 86_400, minimum]) {
      this.#buf.writeUInt32BE(v >>> 0, this.#len);
      this.#len += 4;
    }
    return this.#rdEnd(at);
  }

  /** The finished message: the catalog's own data, so `authoritative` (the edge keeps AA). */
  finish(): DnsMessage {
    const out = this.#buf.subarray(0, this.#len);
    out.writeUInt16BE(this.#counts[0]!, OFF_ANCOUNT);
    out.writeUInt16BE(this.#counts[1]!, OFF_NSCOUNT);
    out.writeUInt16BE(this.#counts[2]!, OFF_ARCOUNT);
    const message = new DnsMessage(out);
    message.authoritative = true;
    return message;
  }

  #header(owner: string, type: number, ttl: Ttl): void {
    this.#name(owner, true);
    this.#ensure(10);
    this.#buf.writeUInt16BE(type, this.#len);
    this.#buf.writeUInt16BE(CLASS_IN, this.#len + 2);
    this.#buf.writeUInt32BE(ttl >>> 0, this.#len + 4);
    this.#len += 8;
    this.#counts[this.#section]!++;
  }

  /** Reserves the RDLENGTH and room for `max` bytes of RDATA; returns where RDLENGTH sits. */
  #rdStart(max: number): number {
    this.#ensure(2 + max);
    const at = this.#len;
    this.#len += 2;
    return at;
  }

  #rdEnd(at: number): this {
    this.#buf.writeUInt16BE(this.#len - at - 2, at);
    return this;
  }

  /** A name (presentation form, trailing dot optional), compressed against earlier names when allowed. */
  #name(name: string, compress: boolean): void {
    const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
    const labels = trimmed === '' ? [] : trimmed.split('.');
    this.#ensure(trimmed.length + 2);
    let wire = 1;
    for (let i = 0; i < labels.length; i++) {
      const suffix = `${labels.slice(i).join('.').toLowerCase()}.`;
      const known = this.#names.get(suffix);
      if (compress && known !== undefined) {
        this.#buf.writeUInt16BE(0xc000 | known, this.#len);
        this.#len += 2;
        return;
      }
      if (known === undefined && this.#len <= MAX_POINTER) this.#names.set(suffix, this.#len);
      const bytes = Buffer.from(labels[i]!, 'utf8');
      if (bytes.length === 0 || bytes.length > 63) throw new WireError(`bad label in name '${name}'`);
      wire += bytes.length + 1;
      if (wire > 255) throw new WireError(`name longer than 255 bytes: '${name}'`);
      this.#ensure(bytes.length + 2);
      this.#buf[this.#len++] = bytes.length;
      bytes.copy(this.#buf, this.#len);
      this.#len += bytes.length;
    }
    this.#buf[this.#len++] = 0;
  }

  /** Offsets of every suffix of the question name, so answers point at the client's own bytes. */
  #rememberQuestion(qEnd: number): void {
    if (qEnd <= HEADER_SIZE) return;
    const buf = this.#buf;
    const starts: number[] = [];
    const labels: string[] = [];
    let p = HEADER_SIZE;
    while (p < qEnd - 4) {
      const len = buf[p]!;
      if (len === 0 || (len & 0xc0) !== 0) break;
      starts.push(p);
      labels.push(buf.toString('latin1', p + 1, p + 1 + len).toLowerCase());
      p += 1 + len;
    }
    for (let i = 0; i < labels.length; i++) this.#names.set(`${labels.slice(i).join('.')}.`, starts[i]!);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}
