import { isIP } from 'node:net';
import { canonicalName, type Directive } from '@dnsmesh/core';

/** What `static` answers: name (canonical) -> its IPv4 and IPv6 addresses; and the TTL. */
export interface StaticOptions {
  readonly names: ReadonlyMap<string, { readonly v4: readonly string[]; readonly v6: readonly string[] }>;
  readonly ttl: number;
}

/**
 * `static { NAME ADDRESS... ; ttl SECONDS }` -> StaticOptions. Every check goes through a token,
 * so a mistake reads `Corefile:LINE - static: ...`.
 */
export function parse(d: Directive): StaticOptions {
  d.expectArgs(0, 0);
  const names = new Map<string, { v4: string[]; v6: string[] }>();
  let ttl = 60;
  for (const p of d.block) {
    if (p.name.text === 'ttl') { ttl = p.expectArgs(1, 1)[0]!.int({ min: 0, max: 65535 }); continue; }
    const addresses = p.expectArgs(1);
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(p.name.text)) throw p.fail(`expected a name, got '${p.name.text}'`);
    const entry = names.get(canonicalName(p.name.text)) ?? { v4: [], v6: [] };
    for (const a of addresses) {
      const family = isIP(a.text);
      if (family === 0) throw a.fail(`expected an IP address, got '${a.text}'`);
      (family === 4 ? entry.v4 : entry.v6).push(a.text);
    }
    names.set(canonicalName(p.name.text), entry);
  }
  return { names, ttl };
}
