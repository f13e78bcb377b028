import { parseClientTls, type Directive, type Property, type Token, type UpstreamTls } from '@dnsmesh/core';
import {
  DEFAULTS, isLabel, isTokenText, LIMITS, parseDnsAddress, parseHttpUrl, type ConsulOptions, type ConsulSource,
} from './options.js';

/** Properties that only mean something in catalog mode (http). */
const CATALOG_ONLY = new Set(['token', 'datacenter', 'ttl', 'only_passing', 'max_stale', 'idle']);

/**
 * `consul [ZONES...] { dns ADDR | http URL; token TOKEN; datacenter DC; ttl DURATION;
 * only_passing [true|false]; max_stale DURATION; idle DURATION; tls [CERT KEY] [CA]; tls_servername NAME }`
 * (ADDR may be `tls://IP[:853]`: DNS over TLS, with `tls` and `tls_servername` as forward's)
 */
export function parse(d: Directive): ConsulOptions {
  const zones = d.args.length > 0 ? d.args.map((t) => t.zone()) : [...DEFAULTS.zones];
  let source: ConsulSource | undefined;
  let sourceAt: Property | undefined;
  let token: string | undefined;
  let datacenter: string | undefined;
  let ttl: number = DEFAULTS.ttl;
  let onlyPassing: boolean = DEFAULTS.onlyPassing;
  let maxStale: number = DEFAULTS.maxStale;
  let idle: number = DEFAULTS.idle;
  let tls: UpstreamTls = {};
  let tlsAt: Property | undefined;
  const seen = new Set<string>();
  const catalogOnly: Property[] = [];
  for (const p of d.block) {
    const name = p.name.text;
    if (seen.has(name)) throw p.fail(`${name} is set twice`);
    seen.add(name);
    if (CATALOG_ONLY.has(name)) catalogOnly.push(p);
    switch (name) {
      case 'dns':
      case 'http': {
        if (source !== undefined) throw p.fail(`give either dns or http, not both (${sourceAt!.name.text} is at line ${sourceAt!.name.line})`);
        const arg = p.expectArgs(1, 1)[0]!;
        source = name === 'dns' ? { mode: 'dns', address: checked(arg, parseDnsAddress) } : { mode: 'http', url: checked(arg, parseHttpUrl) };
        sourceAt = p;
        break;
      }
      case 'token': {
        const t = p.expectArgs(1, 1)[0]!;
        if (!isTokenText(t.text)) throw t.fail('token must be printable ASCII without spaces');
        token = t.text === '' ? undefined : t.text;           // `token {$CONSUL_HTTP_TOKEN}` with the variable unset
        break;
      }
      case 'datacenter': {
        const t = p.expectArgs(1, 1)[0]!;
        if (!isLabel(t.text)) throw t.fail(`datacenter '${t.text}' is not a DNS label`);
        datacenter = t.text.toLowerCase();
        break;
      }
      case 'ttl': {
        const t = p.expectArgs(1, 1)[0]!;
        const ms = t.duration({ min: LIMITS.ttl.min * 1000, max: LIMITS.ttl.max * 1000 });
        if (ms % 1000 !== 0) throw t.fail(`ttl must be whole seconds, got '${t.text}'`);
        ttl = ms / 1000;
        break;
      }
      case 'only_passing': onlyPassing = flag(p); break;
      case 'max_stale': maxStale = p.expectArgs(1, 1)[0]!.duration(LIMITS.maxStale); break;
      case 'idle': idle = p.expectArgs(1, 1)[0]!.duration(LIMITS.idle); break;
      case 'tls': tls = { ...tls, ...parseClientTls(p) }; tlsAt = p; break;
      case 'tls_servername': tls = { ...tls, servername: p.expectArgs(1, 1)[0]!.text }; tlsAt = p; break;
      default: throw p.fail(`unknown property '${name}'`);
    }
  }
  if (source === undefined) throw d.fail('needs dns ADDR (DNS mode) or http URL (catalog mode) in its block');
  if (tlsAt !== undefined) {
    if (source.mode !== 'dns' || source.address.tls === undefined) throw tlsAt.fail(`${tlsAt.name.text} needs dns tls://ADDR (DNS over TLS to the agent's DNS)`);
    source = { mode: 'dns', address: { ...source.address, tls: { ...source.address.tls, ...tls } } };
  }
  if (source.mode === 'dns' && catalogOnly.length > 0) {
    throw catalogOnly[0]!.fail(`${catalogOnly[0]!.name.text} applies only to catalog mode (http), not to dns`);
  }
  return {
    zones, source, token, datacenter, ttl, onlyPassing, maxStale, idle,
    wait: DEFAULTS.wait, firstWait: DEFAULTS.firstWait, backoffMin: DEFAULTS.backoffMin,
    backoffMax: DEFAULTS.backoffMax, rateInterval: DEFAULTS.rateInterval,
  };
}

function checked<T>(t: Token, fn: (text: string) => T): T {
  try {
    return fn(t.text);
  } catch (err) {
    throw t.fail((err as Error).message);
  }
}

/** `only_passing` alone is on; `only_passing false` (or off, no, 0) turns it off. */
function flag(p: Property): boolean {
  const [t] = p.expectArgs(0, 1);
  if (t === undefined) return true;
  const v = t.text.toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  throw t.fail(`only_passing takes true or false, got '${t.text}'`);
}
