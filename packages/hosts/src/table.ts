import { isIP } from 'node:net';
import { canonicalName } from '@dnsmesh/core';

/** The addresses listed for one name. */
export interface HostEntry {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/**
 * Names to addresses and back, built once when the Corefile is loaded: a lookup is two Map reads.
 * Names are canonical (lower case, trailing dot); reverse names are `4.3.2.1.in-addr.arpa.` and
 * the nibble form under `ip6.arpa.`.
 */
export class HostsTable {
  readonly #names = new Map<string, { v4: string[]; v6: string[] }>();
  readonly #reverse = new Map<string, string[]>();

  /** Adds `address NAME...`; throws a plain Error with what is wrong (the caller names the place). */
  add(address: string, names: readonly string[]): void {
    const family = isIP(address);
    if (family === 0) throw new Error(`expected an IP address, got '${address}'`);
    if (names.length === 0) throw new Error(`'${address}' needs at least one name`);
    const ip = family === 6 ? expandIPv6(address) : address;
    for (const raw of names) {
      if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(raw)) throw new Error(`expected a host name, got '${raw}'`);
      const name = canonicalName(raw);
      let entry = this.#names.get(name);
      if (entry === undefined) { entry = { v4: [], v6: [] }; this.#names.set(name, entry); }
      const list = family === 4 ? entry.v4 : entry.v6;
      if (!list.includes(ip)) list.push(ip);
      const rev = reverseName(ip);
      const back = this.#reverse.get(rev) ?? [];
      if (!back.includes(name)) back.push(name);
      this.#reverse.set(rev, back);
    }
  }

  /** Reads hosts-file text: `ADDRESS NAME [ALIAS...]` per line, `#` starts a comment. */
  addText(text: string, fail: (line: number, message: string) => Error): void {
    text.split(/\r?\n/).forEach((raw, i) => {
      const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return;
      try {
        this.add(words[0]!, words.slice(1));
      } catch (err) {
        throw fail(i + 1, (err as Error).message);
      }
    });
  }

  get(name: string): HostEntry | undefined {
    return this.#names.get(name);
  }

  /** The names listed for the address a reverse name (`...in-addr.arpa.`) spells. */
  namesFor(reverse: string): readonly string[] | undefined {
    return this.#reverse.get(reverse);
  }

  /** How many names the table holds. */
  get size(): number {
    return this.#names.size;
  }
}

/** `10.0.0.7` -> `7.0.0.10.in-addr.arpa.`; a full IPv6 address -> its 32 nibbles under `ip6.arpa.`. */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
  return `${expandIPv6(ip).replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa.`;
}

/** `2001:db8::1` -> `2001:0db8:0000:0000:0000:0000:0000:0001` (IPv4-mapped tails included). */
export function expandIPv6(ip: string): string {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => g.padStart(4, '0')).join(':');
}
