import type { Duration, Ttl } from '@dnsmesh/core';

/** One of the two stores: positive answers, or denials (NXDOMAIN, NODATA). */
export interface Tier {
  /** Most entries this tier holds (CoreDNS semantics). */
  readonly capacity: number;
  /** TTLs are capped at this. */
  readonly maxTtl: Ttl;
  /** TTLs are raised to this (0 turns the floor off). Makes Consul's TTL 0 cacheable. */
  readonly minTtl: Ttl;
}

export interface CacheOptions {
  /** Names cached; others pass through untouched. */
  readonly zones: readonly string[];
  readonly success: Tier;
  readonly denial: Tier;
  /** How long a SERVFAIL is cached (0: not at all). At most 5 minutes (RFC 2308 §7). */
  readonly servfail: Duration;
  /** Zones where success or denial answers are not cached. */
  readonly disable: { readonly success: readonly string[]; readonly denial: readonly string[] };
  /** Serve the TTL the upstream gave, not the remaining one. */
  readonly keepttl: boolean;
  /** Memory budget for stored replies, in bytes, across both tiers. */
  readonly maxBytes: number;
  /**
   * What a query with RD clear gets: `refuse` (REFUSED, hit or miss: Unbound's `allow`), `cache`
   * (a hit is answered, a miss REFUSED: Unbound's `allow_snoop`), `forward` (as if RD were set).
   */
}


export const MAX_TTL: Ttl = 604_800; // 7 days (RFC 8767 §4 recommends capping there)
export const MAX_SERVFAIL: Duration = 300_000;

export const DEFAULTS: CacheOptions = {
  zones: ['.'],
  success: { capacity: 9984, maxTtl: 3600, minTtl: 5 },
  denial: { capacity: 9984, maxTtl: 1800, minTtl: 5 },
  servfail: 5000,
  disable: { success: [], denial: [] },
  keepttl: false,
  maxBytes: 128 * 1024 * 1024,
};

/** Fills options given in code with the defaults, checking the same limits as the Corefile. */
export function resolveOptions(input: Partial<Omit<CacheOptions, 'success' | 'denial' | 'disable'>> & {
  success?: Partial<Tier>; denial?: Partial<Tier>; disable?: Partial<CacheOptions['disable']>; ttl?: Ttl;
} = {}): CacheOptions {
  const tier = (base: Tier, over: Partial<Tier> | undefined, ttl: Ttl | undefined, what: string): Tier => {
    const t = { capacity: over?.capacity ?? base.capacity, maxTtl: over?.maxTtl ?? ttl ?? base.maxTtl, minTtl: over?.minTtl ?? base.minTtl };
    if (!Number.isInteger(t.capacity) || t.capacity < 1) throw new TypeError(`cache: ${what}.capacity must be a positive integer`);
    if (!(t.maxTtl >= 1 && t.maxTtl <= MAX_TTL)) throw new TypeError(`cache: ${what}.maxTtl must be between 1 and ${MAX_TTL}`);
    if (!(t.minTtl >= 0 && t.minTtl <= t.maxTtl)) throw new TypeError(`cache: ${what}.minTtl must be between 0 and maxTtl`);
    return t;
  };
  const servfail = input.servfail ?? DEFAULTS.servfail;
  if (!(servfail >= 0 && servfail <= MAX_SERVFAIL)) throw new TypeError(`cache: servfail must be between 0 and ${MAX_SERVFAIL} ms`);
  return {
    zones: input.zones ?? DEFAULTS.zones,
    success: tier(DEFAULTS.success, input.success, input.ttl, 'success'),
    denial: tier(DEFAULTS.denial, input.denial, input.ttl, 'denial'),
    servfail,
    disable: { success: input.disable?.success ?? [], denial: input.disable?.denial ?? [] },
    keepttl: input.keepttl ?? false,
    maxBytes: input.maxBytes ?? DEFAULTS.maxBytes,
  };
}
