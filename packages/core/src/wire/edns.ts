import { DEFAULT_EDNS_SIZE, EdnsOption, RRType } from './constants.js';
import type { Layout } from './layout.js';

/** What a message's OPT record says (RFC 6891). */
export interface Edns {
  readonly udpSize: number;
  readonly extRcode: number;   // the upper 8 bits of the 12-bit rcode
  readonly version: number;
  readonly do: boolean;
  /** Offset and length of the option bytes (RDATA) inside the message. */
  readonly optionsAt: number;
  readonly optionsLength: number;
}

export function readEdns(buf: Uint8Array, layout: Layout): Edns | undefined {
  if (layout.opt < 0) return undefined;
  return ednsAt(buf, layout.ttlAt[layout.opt]!, layout.stop[layout.opt]!);
}

/** The OPT record whose TTL field is at `ttl` and which ends at `stop`. */
export function ednsAt(buf: Uint8Array, ttl: number, stop: number): Edns {
  return {
    udpSize: (buf[ttl - 2]! << 8) | buf[ttl - 1]!,
    extRcode: buf[ttl]!,
    version: buf[ttl + 1]!,
    do: (buf[ttl + 2]! & 0x80) !== 0,
    optionsAt: ttl + 6,
    optionsLength: stop - (ttl + 6),
  };
}

/** EDNS option code of DNS COOKIE (RFC 7873). */
export const OPTION_COOKIE = 10;

/**
 * True when the OPT holds a COOKIE option of a length no cookie has: a client cookie alone is 8
 * octets, with a server cookie 16 to 40 (RFC 7873 §4). The options must already be known to be well
 * formed (each ends inside the RDATA).
 */
export function hasMalformedCookie(buf: Uint8Array, edns: Edns): boolean {
  let pos = edns.optionsAt;
  const end = pos + edns.optionsLength;
  while (pos + 4 <= end) {
    const len = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    if (((buf[pos]! << 8) | buf[pos + 1]!) === OPTION_COOKIE && len !== 8 && (len < 16 || len > 40)) return true;
    pos += 4 + len;
  }
  return false;
}

/** The EDNS options of a message as {code, data} pairs. */
export function ednsOptions(buf: Uint8Array, edns: Edns): { code: number; data: Buffer }[] {
  const out: { code: number; data: Buffer }[] = [];
  let pos = edns.optionsAt;
  const end = pos + edns.optionsLength;
  while (pos + 4 <= end) {
    const code = (buf[pos]! << 8) | buf[pos + 1]!;
    const len = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    if (pos + 4 + len > end) break;
    out.push({ code, data: Buffer.from(buf.subarray(pos + 4, pos + 4 + len)) });
    pos += 4 + len;
  }
  return out;
}

/** Bytes a fresh OPT takes: 11 fixed, plus an Extended DNS Error option if one is set. */
export function optLength(ede: number, edeText?: string): number {
  if (ede < 0) return 11;
  return 17 + (edeText === undefined || edeText === '' ? 0 : Buffer.byteLength(edeText));
}

/**
 * Writes a fresh OPT record at `at` (never one copied from an upstream: RFC 6891 §6.1.1).
 * Returns the offset past it.
 */
export function writeOpt(out: Buffer, at: number, opts: { extRcode: number; do: boolean; ede: number; edeText?: string; udpSize?: number }): number {
  return writeOptRecord(out, at, opts.extRcode, opts.do, opts.ede, opts.edeText, opts.udpSize ?? DEFAULT_EDNS_SIZE);
}

/** `writeOpt` with plain arguments (the edge writes one per reply). `ede` -1 for none. */
export function writeOptRecord(out: Buffer, at: number, extRcode: number, doBit: boolean, ede: number, edeText: string | undefined, udpSize: number): number {
  out[at] = 0;                                            // root owner
  out[at + 1] = RRType.OPT >>> 8;
  out[at + 2] = RRType.OPT & 0xff;
  out[at + 3] = udpSize >>> 8;
  out[at + 4] = udpSize & 0xff;
  out[at + 5] = extRcode;
  out[at + 6] = 0;                                        // version 0
  out[at + 7] = doBit ? 0x80 : 0;
  out[at + 8] = 0;
  if (ede < 0) {
    out[at + 9] = 0;
    out[at + 10] = 0;
    return at + 11;
  }
  const text = edeText ?? '';
  const textLen = Buffer.byteLength(text);
  out.writeUInt16BE(6 + textLen, at + 9);
  out.writeUInt16BE(EdnsOption.EDE, at + 11);
  out.writeUInt16BE(2 + textLen, at + 13);
  out.writeUInt16BE(ede, at + 15);
  if (textLen > 0) out.write(text, at + 17, 'utf8');
  return at + 17 + textLen;
}
