import type { Cidr } from '@dnsmesh/acl';

/** What ratelimit does, from a Corefile or from code. */
export interface RateLimitOptions {
  /** Responses per second a client prefix gets over UDP, on average. */
  readonly rate: number;
  /** How many responses a prefix may get at once after a quiet spell (the bucket's size). */
  readonly burst: number;
  /** Every `slip`th limited reply is sent as an empty TC=1 reply instead of dropped; 0 never, 1 always. */
  readonly slip: number;
  /** The prefix length that groups IPv4 clients. */
  readonly ipv4Prefix: number;
  /** The prefix length that groups IPv6 clients. */
  readonly ipv6Prefix: number;
  /** The most prefixes tracked; the least recently heard are forgotten first. */
  readonly maxTable: number;
  /** Client networks never limited. */
  readonly exempt: readonly Cidr[];
}

/** Defaults (BIND RRL's slip and prefix lengths); `rate` applies when the directive gives none. */
export const DEFAULTS: RateLimitOptions = {
  rate: 100,
  burst: 100,
  slip: 2,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  maxTable: 100_000,
  exempt: [],
};

/** Limits that the Corefile and the code factory both check. */
export const LIMITS = {
  rate: { min: 1, max: 1_000_000 },
  burst: { min: 1, max: 10_000_000 },
  slip: { min: 0, max: 10 },
  ipv4Prefix: { min: 8, max: 32 },
  ipv6Prefix: { min: 16, max: 128 },
  maxTable: { min: 100, max: 10_000_000 },
} as const;
