import { parseCidr } from '@dnsmesh/acl';
import { definePlugin, optionChecks, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { RateLimitPlugin } from './handler.js';
import { DEFAULTS, LIMITS, type RateLimitOptions } from './options.js';
import { parse } from './setup.js';

export { RateLimitPlugin, RateLimitCounts } from './handler.js';
export { BucketTable, type Bucket } from './table.js';
export { DEFAULTS, LIMITS, type RateLimitOptions } from './options.js';
export { parse } from './setup.js';

/** Builds ratelimit in a server block and publishes its counters while the block runs. */
export function createRateLimit(options: RateLimitOptions, block: ServerBlock): Plugin {
  const plugin = new RateLimitPlugin(options);
  const c = plugin.counts;
  let off: (() => void)[] = [];
  block.onStart(() => {
    const server = block.serverLabel; // read at start: bind is applied after the chain's plugins are made
    off = [
      publishMetric(block.metrics, 'counter', 'dnsmesh_ratelimit_dropped_total', 'UDP replies not sent: the client prefix was over its rate.', ['server'], () => [[{ server }, c.dropped]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_ratelimit_slipped_total', 'UDP replies over the rate sent as an empty TC=1 reply instead (slip).', ['server'], () => [[{ server }, c.slipped]]),
      publishMetric(block.metrics, 'gauge', 'dnsmesh_ratelimit_prefixes', 'Client prefixes in the rate-limit table.', ['server'], () => [[{ server }, plugin.table.size]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_ratelimit_evictions_total', 'Prefixes forgotten because the table was full (max_table).', ['server'], () => [[{ server }, plugin.table.evictions]]),
    ];
  });
  block.onStop(() => { for (const fn of off) fn(); off = []; });
  return plugin;
}

/** What `ratelimit(...)` takes from code: the options, `exempt` as network strings. */
export type RateLimitInput = Partial<Omit<RateLimitOptions, 'exempt'>> & { readonly exempt?: readonly string[] };

/** Checks code input once, with the Corefile's limits; a TypeError names the option. */
export function resolveOptions(input: RateLimitInput = {}): RateLimitOptions {
  const check = optionChecks('ratelimit', (z) => z);
  const rate = check.intIn('rate', input.rate ?? DEFAULTS.rate, LIMITS.rate);
  const exempt = (input.exempt ?? []).map((text) => {
    const net = parseCidr(text);
    return typeof net === 'string' ? check.bad('exempt', net) : net;
  });
  return {
    rate,
    burst: check.intIn('burst', input.burst ?? rate, LIMITS.burst),
    slip: check.intIn('slip', input.slip ?? DEFAULTS.slip, LIMITS.slip),
    ipv4Prefix: check.intIn('ipv4Prefix', input.ipv4Prefix ?? DEFAULTS.ipv4Prefix, LIMITS.ipv4Prefix),
    ipv6Prefix: check.intIn('ipv6Prefix', input.ipv6Prefix ?? DEFAULTS.ipv6Prefix, LIMITS.ipv6Prefix),
    maxTable: check.intIn('maxTable', input.maxTable ?? DEFAULTS.maxTable, LIMITS.maxTable),
    exempt,
  };
}

/**
 * ratelimit for code composition: place it first among the plugins that answer.
 *
 * @example
 * createServer({ plugins: [ratelimit({ rate: 50, slip: 2 }), cache(), forward({ to: ['127.0.0.1:5300'] })] });
 */
export function ratelimit(input: RateLimitInput = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return function ratelimit(block: ServerBlock): Plugin {
    return createRateLimit(options, block);
  };
}

/** `ratelimit [RATE] { ... }`: off unless configured (as Unbound's ip-ratelimit: 0). */
export default definePlugin<RateLimitOptions>({
  name: 'ratelimit',
  core: '^0.1.0',
  parse,
  create: createRateLimit,
});
