// Many instances on many nodes, each node with 2-3 meta keys: the shape that makes SRV replies
// outgrow 512 bytes and exercises trimming (notes §6.6).
import type { Catalog } from './state.js';

export interface BigServiceOptions {
  port?: number;
  tags?: readonly string[];
  /** Give each instance its own address (same as the node's), so SRV targets use the .addr form. */
  serviceAddress?: boolean;
}

const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
const TYPES = ['m5.large', 'c5.xlarge'];

/** Registers `count` nodes at 10.0.x.y (continuing past earlier calls) with one instance each; returns the IDs. */
export function addBigService(catalog: Catalog, name: string, count: number, opts: BigServiceOptions = {}): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`consul-sim: addBigService: count must be >= 1, got ${count}`);
  const ids: string[] = [];
  let slot = nextFreeSlot(catalog);
  for (let i = 0; i < count; i++, slot++) {
    const address = `10.0.${Math.floor(slot / 254)}.${(slot % 254) + 1}`;
    const node = `ip-${address.replace(/\./g, '-')}`;
    const meta: Record<string, string> = { availability_zone: ZONES[i % ZONES.length]!, instance_type: TYPES[i % TYPES.length]! };
    if (i % 2 === 1) meta['rack'] = `r${(i % 7) + 1}`;
    catalog.registerNode({ name: node, address, meta });
    const id = `${name}-${i + 1}`;
    catalog.registerService({
      id, name, node, tags: opts.tags ?? [], port: opts.port ?? 8080,
      ...(opts.serviceAddress === true ? { address } : {}),
    });
    ids.push(id);
  }
  return ids;
}

/** The first 10.0.x.y slot past every node already there. */
function nextFreeSlot(catalog: Catalog): number {
  let slot = 0;
  for (const n of catalog.nodes()) {
    const m = n.address.match(/^10\.0\.(\d+)\.(\d+)$/);
    if (m !== null) slot = Math.max(slot, Number(m[1]) * 254 + Number(m[2]));
  }
  return slot;
}
