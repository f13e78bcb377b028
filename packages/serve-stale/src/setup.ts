import { parseDuration, type Directive, type Token } from '@dnsmesh/core';
import { DEFAULTS, LIMITS, type ServeStaleOptions } from './options.js';

type Key = keyof ServeStaleOptions;
const PROPERTY: Record<Key, string> = {
  maxStale: 'max_stale', clientTimeout: 'client_timeout', replyTtl: 'reply_ttl', failureRecheck: 'failure_recheck',
};
const BY_PROPERTY = new Map(Object.entries(PROPERTY).map(([k, v]) => [v, k as Key]));

/**
 * ```
 * serve_stale [DURATION] [immediate|verify] {
 *     max_stale DURATION  client_timeout DURATION  reply_ttl DURATION  failure_recheck DURATION
 * }
 * ```
 * CoreDNS's positional form (as written inside `cache`, which hands it over) works too:
 * `serve_stale [DURATION] [immediate [RESP_TTL [RECHECK]] | verify [VERIFY_TIMEOUT [RESP_TTL [RECHECK]]]]`.
 * `immediate` is `client_timeout 0`; `verify` waits `client_timeout` for the refresh.
 */
export function parse(d: Directive): ServeStaleOptions {
  const given = new Map<Key, { token: Token; value: number }>();
  const put = (key: Key, token: Token): void => {
    if (given.has(key)) throw token.fail(`${PROPERTY[key]} is set twice`);
    given.set(key, { token, value: value(key, token) });
  };

  const args = d.expectArgs(0, 5).slice();
  const first = args[0];
  if (first !== undefined && !isMode(first)) {
    if (parseDuration(first.text) === undefined) throw first.fail(`expected a duration, immediate or verify, got '${first.text}'`);
    put('maxStale', args.shift()!);
  }
  const modeToken = args.shift();
  if (modeToken !== undefined) {
    if (!isMode(modeToken)) throw modeToken.fail(`expected immediate or verify, got '${modeToken.text}'`);
    const positional: Key[] = modeToken.text === 'verify' ? ['clientTimeout', 'replyTtl', 'failureRecheck'] : ['replyTtl', 'failureRecheck'];
    for (const key of positional) if (args.length > 0) put(key, args.shift()!);
    if (args.length > 0) throw args[0]!.fail(`unexpected argument '${args[0]!.text}' after ${modeToken.text}`);
  }

  for (const p of d.block) {
    const key = BY_PROPERTY.get(p.name.text);
    if (key === undefined) throw p.name.fail(`unknown property '${p.name.text}'`);
    put(key, p.expectArgs(1, 1)[0]!);
  }

  const timeout = given.get('clientTimeout');
  if (modeToken?.text === 'immediate') {
    if (timeout !== undefined && timeout.value !== 0) {
      throw timeout.token.fail(`client_timeout ${timeout.token.text} contradicts immediate (stale at once); drop one of them`);
    }
    given.set('clientTimeout', { token: modeToken, value: 0 });
  } else if (modeToken?.text === 'verify' && timeout?.value === 0) {
    throw timeout.token.fail('client_timeout 0 contradicts verify (wait for the refresh first); use immediate instead');
  }

  const out = { ...DEFAULTS };
  for (const [key, { value: v }] of given) out[key] = v;
  return out;
}

function isMode(t: Token): boolean {
  return t.text === 'immediate' || t.text === 'verify';
}

/** A token's value in the option's unit (reply_ttl in whole seconds, the rest in ms). */
function value(key: Key, token: Token): number {
  if (key !== 'replyTtl') return token.duration(LIMITS[key]);
  const ms = token.duration({ min: LIMITS.replyTtl.min * 1000, max: LIMITS.replyTtl.max * 1000 });
  if (ms % 1000 !== 0) throw token.fail(`reply_ttl must be whole seconds (a TTL), got '${token.text}'`);
  return ms / 1000;
}
