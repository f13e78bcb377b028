import type { ServerBlock } from '../block.js';

/**
 * Picks the server block for a query name on one port: the longest zone that contains it
 * (CoreDNS: `consul.:53` and `.:53` share a listener; consul names go to the first).
 */
export class ZoneRouter {
  readonly #zones = new Map<string, ServerBlock>();

  add(block: ServerBlock): void {
    for (const zone of block.zones) this.#zones.set(zone, block);
  }

  get blocks(): ServerBlock[] {
    return [...new Set(this.#zones.values())];
  }

  /** `lname` is lower-case with a trailing dot. Walks up one label at a time: no scan of every zone. */
  match(lname: string): ServerBlock | undefined {
    let name = lname;
    for (;;) {
      const block = this.#zones.get(name);
      if (block !== undefined) return block;
      if (name === '.') return undefined;
      const dot = nextLabel(name);
      name = dot < 0 ? '.' : name.slice(dot);
    }
  }
}

/** Index just past the first label's dot (honouring `\.` escapes), or -1 at the last label. */
function nextLabel(name: string): number {
  for (let i = 0; i < name.length - 1; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) { i++; continue; }
    if (c === 0x2e) return i + 1;
  }
  return -1;
}
