import { isIP } from 'node:net';
import { canonicalName } from '@dnsmesh/core';

/** Per name (canonical): address (canonical text) -> weight 1..255. */
export type WeightTable = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * Reads a weight file (CoreDNS's format): a domain name on a line of its own, then `ADDRESS
 * WEIGHT` lines for it; `#` starts a comment. Throws `fail(line, message)` on a bad line.
 */
export function parseWeights(text: string, fail: (line: number, message: string) => Error): WeightTable {
  const table = new Map<string, Map<string, number>>();
  let current: Map<string, number> | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    if (words.length === 1) {
      if (!/^[a-z0-9_*-]+(\.[a-z0-9_-]+)*\.?$/i.test(words[0]!)) throw fail(i + 1, `expected a domain name, got '${words[0]}'`);
      const name = canonicalName(words[0]!);
      current = table.get(name) ?? new Map();
      table.set(name, current);
      return;
    }
    if (current === undefined) throw fail(i + 1, 'an address line before any domain name');
    const [address, weight] = words;
    if (words.length !== 2 || isIP(address!) === 0) throw fail(i + 1, `expected 'ADDRESS WEIGHT', got '${raw.trim()}'`);
    if (!/^\d+$/.test(weight!) || Number(weight) < 1 || Number(weight) > 255) throw fail(i + 1, `expected a weight from 1 to 255, got '${weight}'`);
    current.set(canonicalAddress(address!), Number(weight));
  });
  return table;
}

/** One text form per address: IPv4 as is, IPv6 compressed and lower case. */
export function canonicalAddress(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The address in an A (4 bytes) or AAAA (16 bytes) RDATA at `at`, canonical. */
export function rdataAddress(buf: Uint8Array, at: number, length: number): string {
  if (length === 4) return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[at + i]! << 8) | buf[at + i + 1]!).toString(16));
  return canonicalAddress(groups.join(':'));
}
