// TTLs (notes §2): node_ttl for nodes, service_ttl for services, 0 by default.
import type { SimConfig } from '../options.js';

/** An exact name wins, then the longest `prefix*`, then `*`; with no match v1 uses 0 and v2 node_ttl. */
export function serviceTtl(name: string, cfg: SimConfig): number {
  const n = name.toLowerCase();
  const exact = cfg.serviceTtl.get(n);
  if (exact !== undefined) return exact;
  let best: { len: number; ttl: number } | undefined;
  for (const [key, ttl] of cfg.serviceTtl) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (n.startsWith(prefix) && (best === undefined || prefix.length > best.len)) best = { len: prefix.length, ttl };
  }
  if (best !== undefined) return best.ttl;
  return cfg.variant === 'v1' ? 0 : cfg.nodeTtl;
}
