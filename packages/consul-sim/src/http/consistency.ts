// Reads that need a server (notes §3 consistency and caching, §6 no_leader/no_servers): the
// consistency mode, the leader headers, the agent cache, and the errors when servers are missing.
import type { HttpContext } from './context.js';
import { text, type Reply } from './reply.js';

export interface ReadMeta {
  readonly consistency: 'leader' | 'stale' | 'consistent';
  readonly knownLeader: boolean;
  readonly lastContact: number;
  /** Set for ?cached: HIT with the entry's age in seconds, or MISS. */
  readonly cache?: { readonly hit: boolean; readonly age: number };
}

const flag = (url: URL, name: string): boolean => url.searchParams.has(name);

/** The meta for a read, or the error reply. `cacheKey` identifies the request for ?cached. */
export function serverRead(ctx: HttpContext, cacheKey: string): ReadMeta | Reply {
  const { url, failures, cfg } = ctx;
  const stale = flag(url, 'stale');
  const consistent = flag(url, 'consistent');
  const cached = flag(url, 'cached');
  if (stale && consistent) return text(400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  if (cached && consistent) return text(400, 'Cannot specify ?cached with ?consistent, conflicting semantics.');
  // Consul CE refuses both parameters, whatever their value (http_ce.go parseEntMeta).
  if (!cfg.enterprise && (url.searchParams.get('ns') ?? '') !== '') return text(400, 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
  if (!cfg.enterprise && (url.searchParams.get('partition') ?? '') !== '') return text(400, 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
  const dc = url.searchParams.get('dc');
  if (dc !== null && dc !== '' && dc.toLowerCase() !== cfg.datacenter && !ctx.catalog.otherDatacenters().has(dc.toLowerCase())) return text(500, 'No path to datacenter');

  const seen = cached && ctx.cached.has(cacheKey);
  if (cached) ctx.cached.add(cacheKey);
  const consistency = stale ? 'stale' : consistent ? 'consistent' : 'leader';
  if (failures.has('no_servers')) {
    // The agent cache keeps serving what it has; its age grows while the servers are gone.
    if (seen) return { consistency, knownLeader: false, lastContact: 0, cache: { hit: true, age: Math.floor(failures.age('no_servers') / 1000) } };
    return text(500, 'No known Consul servers');
  }
  if (failures.has('no_leader')) {
    const lastContact = failures.age('no_leader');
    if (seen) return { consistency, knownLeader: false, lastContact, cache: { hit: true, age: 0 } };
    if (!stale) {
      const prefix = failures.options('no_leader')?.rpcPrefix === true ? 'rpc error making call: ' : '';
      return text(500, `${prefix}No cluster leader`);
    }
    return { consistency, knownLeader: false, lastContact };
  }
  return { consistency, knownLeader: true, lastContact: 0, ...(cached ? { cache: { hit: seen, age: 0 } } : {}) };
}

/** The headers of every blocking read; the index is clamped to 1 unless index_zero is on. */
export function readHeaders(ctx: HttpContext, meta: ReadMeta, index: number): Record<string, string> {
  const h: Record<string, string> = {
    'X-Consul-Index': String(ctx.failures.has('index_zero') ? 0 : Math.max(1, index)),
    'X-Consul-KnownLeader': String(meta.knownLeader),
    'X-Consul-LastContact': String(meta.lastContact),
    'X-Consul-Effective-Consistency': meta.consistency,
    'X-Consul-Query-Backend': 'blocking-query',
  };
  if (meta.cache !== undefined) {
    h['X-Cache'] = meta.cache.hit ? 'HIT' : 'MISS';
    if (meta.cache.hit) h['Age'] = String(meta.cache.age);
  }
  return h;
}

export function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 'status' in v && 'body' in v;
}
