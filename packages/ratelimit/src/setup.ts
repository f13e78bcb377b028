import { parseCidr, type Cidr } from '@dnsmesh/acl';
import type { Directive, Token } from '@dnsmesh/core';
import { DEFAULTS, LIMITS, type RateLimitOptions } from './options.js';

type IntKey = 'rate' | 'burst' | 'slip' | 'ipv4Prefix' | 'ipv6Prefix' | 'maxTable';
const PROPERTY: Record<IntKey, string> = {
  rate: 'rate', burst: 'burst', slip: 'slip', ipv4Prefix: 'ipv4_prefix', ipv6Prefix: 'ipv6_prefix', maxTable: 'max_table',
};
const BY_PROPERTY = new Map(Object.entries(PROPERTY).map(([k, v]) => [v, k as IntKey]));

/**
 * ```
 * ratelimit [RATE] {
 *     rate RATE  burst N  slip N  ipv4_prefix N  ipv6_prefix N  max_table N  exempt NET...
 * }
 * ```
 * `burst` defaults to the rate (one second's worth).
 */
export function parse(d: Directive): RateLimitOptions {
  const given = new Map<IntKey, number>();
  const put = (key: IntKey, token: Token): void => {
    if (given.has(key)) throw token.fail(`${PROPERTY[key]} is set twice`);
    given.set(key, token.int(LIMITS[key]));
  };
  const [rate] = d.expectArgs(0, 1);
  if (rate !== undefined) put('rate', rate);
  let exempt: Cidr[] = [];
  for (const p of d.block) {
    if (p.name.text === 'exempt') {
      if (exempt.length > 0) throw p.fail('exempt is set twice (give every network on one line)');
      exempt = p.expectArgs(1).map((t) => {
        const net = parseCidr(t.text);
        if (typeof net === 'string') throw t.fail(net);
        return net;
      });
      continue;
    }
    const key = BY_PROPERTY.get(p.name.text);
    if (key === undefined) throw p.fail(`unknown property '${p.name.text}'`);
    put(key, p.expectArgs(1, 1)[0]!);
  }
  const out: { -readonly [K in keyof RateLimitOptions]: RateLimitOptions[K] } = { ...DEFAULTS, exempt };
  for (const [key, value] of given) out[key] = value;
  if (!given.has('burst')) out.burst = out.rate;
  return out;
}
