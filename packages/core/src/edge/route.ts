import type { ServerBlock } from '../block.js';
import { encodeName } from '../wire/name.js';

/**
 * Picks the server block for a query name on one port: the longest zone that contains it
 * (CoreDNS: `consul.:53` and `.:53` share a listener; consul names go to the first).
 */
export class ZoneRouter {
  /** Zones as lower-case wire names (latin1 strings), longest first, for matching without allocating. */
  #wire: { name: string; block: ServerBlock }[] = [];

  add(block: ServerBlock): void {
    for (const zone of block.zones) {
      this.#wire.push({ name: encodeName(zone).toString('latin1').toLowerCase(), block });
    }
    this.#wire.sort((a, b) => b.name.length - a.name.length);
  }

  /**
   * The block for a query name given as lower-case wire bytes (the first `nameLength` characters of
   * DnsMessage.key, or DnsMessage.qnameKey): the longest zone that is a whole-label suffix of the
   * name. No string is built.
   */
  matchWire(qname: string, nameLength = qname.length): ServerBlock | undefined {
    for (const zone of this.#wire) {
      const at = nameLength - zone.name.length;
      if (at < 0 || !qname.startsWith(zone.name, at)) continue;
      // The suffix must start on a label boundary: walk the length bytes up to it.
      let pos = 0;
      while (pos < at) pos += qname.charCodeAt(pos) + 1;
      if (pos === at) return zone.block;
    }
    return undefined;
  }

  get blocks(): ServerBlock[] {
    return [...new Set(this.#wire.map((z) => z.block))];
  }
}
