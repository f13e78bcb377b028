import { isIPv4, isIPv6 } from 'node:net';
import { canonicalName } from '../wire/name.js';

/** Letters, digits, hyphen and underscore (service labels like _tcp); nothing a zone key needs more. */
const LABEL = /^[a-z0-9_-]+$/i;

/**
 * The canonical zone (lower case, trailing dot) for a zone name or a CIDR (`10.0.0.0/24` becomes
 * `0.0.10.in-addr.arpa.`). Throws an Error whose message says what is wrong; callers add FILE:LINE.
 */
export function toZone(text: string): string {
  if (text === '' || text === '.') return '.';
  if (text.includes('/')) return reverseZone(text);
  const name = canonicalName(text);
  if (name.length > 254) throw new Error(`zone '${text}' is longer than 253 characters`);
  for (const label of name.slice(0, -1).split('.')) {
    if (label === '') throw new Error(`zone '${text}' has an empty label`);
    if (label.length > 63) throw new Error(`zone '${text}' has a label longer than 63 characters`);
    if (!LABEL.test(label)) {
      const bad = [...label].find((c) => !LABEL.test(c));
      throw new Error(`zone '${text}' has an invalid character '${bad}'`);
    }
  }
  return name;
}

/** The reverse zone of a CIDR whose prefix ends on a label boundary (8 bits for IPv4, 4 for IPv6). */
function reverseZone(cidr: string): string {
  const slash = cidr.indexOf('/');
  const ip = cidr.slice(0, slash);
  const bitsText = cidr.slice(slash + 1);
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (isIPv4(ip)) {
    if (!(bits <= 32)) throw new Error(`bad prefix length in '${cidr}'`);
    if (bits % 8 !== 0) throw new Error(`CIDR '${cidr}': the prefix length must be a multiple of 8 (classless reverse zones are not supported)`);
    const octets = ip.split('.').slice(0, bits / 8).reverse();
    return [...octets, 'in-addr', 'arpa', ''].join('.');
  }
  if (isIPv6(ip)) {
    if (!(bits <= 128)) throw new Error(`bad prefix length in '${cidr}'`);
    if (bits % 4 !== 0) throw new Error(`CIDR '${cidr}': the prefix length must be a multiple of 4 for IPv6`);
    const nibbles = ipv6Nibbles(ip).slice(0, bits / 4).reverse();
    return [...nibbles, 'ip6', 'arpa', ''].join('.');
  }
  throw new Error(`'${cidr}' is not a valid CIDR`);
}

/** The 32 hex digits of an IPv6 address that node:net already accepted. */
function ipv6Nibbles(ip: string): string[] {
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - left.length - right.length).fill('0');
  const groups = tail === undefined ? left : [...left, ...zeros, ...right];
  return groups.flatMap((g) => [...g.padStart(4, '0')]);
}
