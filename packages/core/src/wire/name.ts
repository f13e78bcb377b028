import { WireError } from './wire-error.js';

/**
 * Returns the offset just past the (possibly compressed) name that starts at `off`.
 * Throws WireError on a label over 63 bytes, a name over 255 bytes, a reserved label type,
 * a pointer that does not point backwards (which also rules out loops), or a truncated buffer.
 */
export function skipName(buf: Uint8Array, off: number): number {
  let pos = off;
  let end = -1;            // where the name ends in the original stream (after the first pointer)
  let total = 1;           // wire length of the uncompressed name, root byte included
  let limit = off;         // a pointer must point before the place it was read from
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) return end === -1 ? pos + 1 : end;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('name pointer runs past the end of the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end === -1) end = pos + 2;
      if (target >= limit) throw new WireError('name pointer does not point backwards (loop)');
      limit = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError('reserved label type');
    total += len + 1;
    if (total > 255) throw new WireError('name longer than 255 bytes');
    pos += len + 1;
  }
}

/** Reads a name as presentation text (no trailing dot, "" for the root), following pointers. */
export function readName(buf: Uint8Array, off: number): string {
  let pos = off;
  let out = '';
  let guard = 0;
  for (;;) {
    // Bounds first: on unchecked bytes a truncated name must throw, never read undefined and spin.
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) return out;
    if (++guard > 255) throw new WireError('name pointer loop');
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('name pointer runs past the end of the message');
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('reserved label type');
    if (pos + len >= buf.length) throw new WireError('label runs past the end of the message');
    if (out.length > 0) out += '.';
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c === 0x5c) out += '\\' + String.fromCharCode(c);
      else if (c <= 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
      else out += String.fromCharCode(c);
    }
    pos += len + 1;
  }
}

/** ASCII lower-casing of one byte (DNS names compare case-insensitively, RFC 4343). */
export function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * Compares two names, each possibly compressed in its own message, ignoring ASCII case.
 */
export function namesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  let pa = aOff;
  let pb = bOff;
  let guard = 0;
  for (;;) {
    // A name that runs past its buffer compares unequal (never reads undefined and spins).
    if (pa >= a.length || pb >= b.length || ++guard > 512) return false;
    let la = a[pa]!;
    while ((la & 0xc0) === 0xc0) { if (pa + 1 >= a.length) return false; pa = ((la & 0x3f) << 8) | a[pa + 1]!; la = a[pa]!; if (la === undefined || ++guard > 512) return false; }
    let lb = b[pb]!;
    while ((lb & 0xc0) === 0xc0) { if (pb + 1 >= b.length) return false; pb = ((lb & 0x3f) << 8) | b[pb + 1]!; lb = b[pb]!; if (lb === undefined || ++guard > 512) return false; }
    if (la !== lb || (la & 0xc0) !== 0 || pa + la >= a.length || pb + lb >= b.length) return false;
    if (la === 0) return true;
    for (let i = 1; i <= la; i++) {
      if (lowerByte(a[pa + i]!) !== lowerByte(b[pb + i]!)) return false;
    }
    pa += la + 1;
    pb += lb + 1;
  }
}

/** Encodes a presentation name ("www.example.com", trailing dot optional) as uncompressed wire labels. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.');
  const parts: number[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new WireError(`bad label in name '${name}'`);
    parts.push(bytes.length, ...bytes);
  }
  parts.push(0);
  if (parts.length > 255) throw new WireError(`name longer than 255 bytes: '${name}'`);
  return Buffer.from(parts);
}

/** Lower-cased presentation form with a trailing dot: the canonical form for zones and keys. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** True when `name` equals `zone` or lies below it (both canonical, trailing dot). */
export function inZone(name: string, zone: string): boolean {
  if (zone === '.') return true;
  return name === zone || (name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 0x2e);
}

/**
 * A name as a key: its uncompressed wire octets (length bytes included, root byte last) with A-Z
 * folded to a-z and nothing else, in a latin1 string; pointers followed. The form of
 * `DnsMessage.qnameKey` and of cache keys: names compared this way are compared as octets
 * (RFC 2181 §11, RFC 4343), whatever bytes their labels hold. The name must have been checked
 * (`skipName`) first.
 */
export function nameKey(buf: Uint8Array, off: number): string {
  let pos = off;
  let out = '';
  for (let guard = 0; guard < 256; guard++) {
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) { pos = ((len & 0x3f) << 8) | buf[pos + 1]!; continue; }
    if (pos + len >= buf.length) throw new WireError('label runs past the end of the message');
    out += String.fromCharCode(len);
    if (len === 0) return out;
    for (let i = pos + 1; i <= pos + len; i++) out += String.fromCharCode(lowerByte(buf[i]!));
    pos += len + 1;
  }
  throw new WireError('name pointer loop');
}

/** True when the name key `name` equals `zone` or lies below it, on a label boundary (both from `nameKey`). */
export function keyAtOrBelow(name: string, zone: string): boolean {
  const skip = name.length - zone.length;
  if (skip < 0) return false;
  let p = 0;
  while (p < skip) p += name.charCodeAt(p) + 1;
  return p === skip && name.endsWith(zone);
}

/** The key of a name's parent ("" for the root). */
export function parentKey(name: string): string {
  return name.length <= 1 ? '' : name.slice(name.charCodeAt(0) + 1);
}

/**
 * A presentation name ("esc\.dot.example.", "\255x.test"; trailing dot optional) as a name key:
 * `\X` is the octet X and `\DDD` the octet DDD (RFC 1035 §5.1), A-Z folded. For names that
 * operators type (zones, flushes); throws WireError on an empty or over-long label.
 */
export function presentationKey(name: string): string {
  let out = '';
  let label = '';
  const flush = (): void => {
    if (label.length === 0 || label.length > 63) throw new WireError(`bad label in name '${name}'`);
    out += String.fromCharCode(label.length) + label;
    label = '';
  };
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label.length === 0 && i === name.length - 1 && out === '') break; // "." alone: the root
      flush();
      continue;
    }
    if (c === 0x5c && i + 1 < name.length) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) { c = Number(d); i += 3; } else { c = name.charCodeAt(i + 1); i += 1; }
    }
    if (c > 255) throw new WireError(`name '${name}' holds a character that is not one octet (use \\DDD)`);
    label += String.fromCharCode(lowerByte(c));
  }
  if (label.length > 0) flush();
  out += '\0';
  if (out.length > 255) throw new WireError(`name longer than 255 bytes: '${name}'`);
  return out;
}
