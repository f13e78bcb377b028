/**
 * Client addresses as numbers, for matching against networks on every query. Node's own
 * `net.BlockList` does the same in C++, but one `check` costs about 1.5 µs (a cache hit costs a
 * few µs in all), so addresses are parsed here with plain character loops.
 */

/**
 * An address: IPv4 as one unsigned 32-bit word, IPv6 as four. An IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4 client) is its IPv4 address.
 */
export interface Ip {
  readonly family: 4 | 6;
  readonly words: readonly number[];
}

/** A network: an address and a prefix length, its host bits zero. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly words: readonly number[];
  readonly bits: number;
  /** Per word, the mask of the network bits. */
  readonly masks: readonly number[];
}

/** Parses `10.0.0.1`, `::1`, `fe80::1%eth0`, `::ffff:10.0.0.1`; undefined when it is not an address. */
export function parseIp(text: string): Ip | undefined {
  if (text.indexOf(':') < 0) {
    const w = ipv4Word(text, 0, text.length);
    return w < 0 ? undefined : { family: 4, words: [w] };
  }
  const zone = text.indexOf('%');
  const words = ipv6Words(text, 0, zone < 0 ? text.length : zone);
  if (words === undefined) return undefined;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { family: 4, words: [words[3]!] };
  return { family: 6, words };
}

/**
 * `10.0.0.0/8`, `fc00::/7`, or a lone address (a /32 or /128, as CoreDNS reads it). Host bits
 * set below the prefix are an error, so `10.1.0.0/8` cannot be a typo that silently means 10/8.
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined || (slash >= 0 && text.includes('%'))) return `'${text}' is not an IP address or CIDR network`;
  const written6 = text.includes(':');
  const max = written6 ? 128 : 32;
  let bits = max;
  if (slash >= 0) {
    const len = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) return `'${text}' has a bad prefix length (0 to ${max})`;
    bits = Number(len);
  }
  // A mapped address written with an IPv6 prefix (`::ffff:10.0.0.0/104`) is the IPv4 network /8.
  if (ip.family === 4 && written6) {
    if (bits < 96) return `'${text}' covers more than IPv4-mapped addresses; write an IPv4 network`;
    bits -= 96;
  }
  const masks = maskWords(ip.family, bits);
  const words = ip.words.map((w, i) => (w & masks[i]!) >>> 0);
  if (words.some((w, i) => w !== ip.words[i])) return `'${text}' has host bits set (the network is ${formatCidr({ family: ip.family, words, bits, masks })})`;
  return { family: ip.family, words, bits, masks };
}

/** True when `ip` lies in `net`. */
export function contains(net: Cidr, ip: Ip): boolean {
  if (net.family !== ip.family) return false;
  const w = ip.words;
  for (let i = 0; i < w.length; i++) if (((w[i]! & net.masks[i]!) >>> 0) !== net.words[i]) return false;
  return true;
}

/** The address with every bit past `bits` cleared, as a short Map key ("4:167772160", "6:2001db8:0:0:0"). */
export function prefixKey(ip: Ip, bits: number): string {
  const masks = maskWords(ip.family, bits);
  let key = ip.family === 4 ? '4' : '6';
  for (let i = 0; i < ip.words.length; i++) key += `:${((ip.words[i]! & masks[i]!) >>> 0).toString(16)}`;
  return key;
}

export function formatCidr(net: Cidr): string {
  return `${formatIp(net)}/${net.bits}`;
}

/** Dotted quad, or eight hex groups (uncompressed: for messages, not for display). */
export function formatIp(ip: Pick<Ip, 'family' | 'words'>): string {
  if (ip.family === 4) {
    const w = ip.words[0]!;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  }
  return ip.words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}

const maskCache = new Map<number, readonly number[]>();

function maskWords(family: 4 | 6, bits: number): readonly number[] {
  const key = family * 1000 + bits;
  let masks = maskCache.get(key);
  if (masks === undefined) {
    const n = family === 4 ? 1 : 4;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = Math.max(0, Math.min(32, bits - i * 32));
      out.push(b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0);
    }
    masks = out;
    maskCache.set(key, masks);
  }
  return masks;
}

/** A dotted quad in text[from, to) as an unsigned word, or -1. Octets are 1-3 digits up to 255, no leading zeros. */
function ipv4Word(text: string, from: number, to: number): number {
  let word = 0;
  let octets = 0;
  let i = from;
  while (i <= to) {
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < to) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
    word = word * 256 + value;
    octets++;
    if (i === to) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
  }
  return octets === 4 ? word : -1;
}

/** An IPv6 address in text[from, to) as four unsigned words, or undefined. */
function ipv6Words(text: string, from: number, to: number): number[] | undefined {
  const groups: number[] = [];
  let gap = -1; // where `::` stands, in groups
  let i = from;
  if (text.startsWith('::', i)) { gap = 0; i += 2; }
  while (i < to) {
    // An IPv4 tail takes the last two groups.
    let j = i;
    while (j < to && text.charCodeAt(j) !== 58 && text.charCodeAt(j) !== 46) j++;
    if (j < to && text.charCodeAt(j) === 46) {
      const w = ipv4Word(text, i, to);
      if (w < 0) return undefined;
      groups.push(w >>> 16, w & 0xffff);
      i = to;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    let value = 0;
    for (let k = i; k < j; k++) {
      const h = hex(text.charCodeAt(k));
      if (h < 0) return undefined;
      value = value * 16 + h;
    }
    groups.push(value);
    i = j;
    if (i === to) break;
    i++; // the colon
    if (i < to && text.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined; // a second `::`
      gap = groups.length;
      i++;
    } else if (i === to) {
      return undefined; // a trailing single colon
    }
  }
  if (groups.length > 8 || (gap < 0 && groups.length !== 8) || (gap >= 0 && groups.length > 7)) return undefined;
  const all = gap < 0 ? groups : [...groups.slice(0, gap), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(gap)];
  return [0, 1, 2, 3].map((k) => ((all[2 * k]! << 16) | all[2 * k + 1]!) >>> 0);
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
