import type { Directive, Property, Token, UpstreamTls } from '@dnsmesh/core';
import {
  CONSISTENCIES, DEFAULTS, isLabel, isServiceTtlKey, isTokenText, LIMITS, parseDnsAddress, parseHttpUrl,
  type Consistency, type ConsulOptions, type ConsulSource,
} from './options.js';
import { loadTls, TlsError, type TlsFiles, type TlsSettings } from './tls.js';
import { TokenSource } from './token.js';

/** The TLS properties, by the TlsFiles key they fill. */
const TLS_PROPS: Record<string, keyof TlsFiles> = {
  ca_file: 'caFile', ca_path: 'caPath', cert_file: 'certFile', key_file: 'keyFile',
  tls_servername: 'serverName', insecure_skip_verify: 'insecureSkipVerify',
};

/** Properties that only mean something in catalog mode (http). */
const CATALOG_ONLY = new Set([
  'token', 'token_file', 'datacenter', 'ttl', 'only_passing', 'max_stale', 'idle', 'consistency', 'max_connections',
  'resync', 'first_wait', 'namespace', 'partition', 'translate_wan_addrs', 'catalog_feed', 'service_ttl', 'node_ttl', 'soa_min_ttl', 'node_meta_txt', 'a_record_limit', ...Object.keys(TLS_PROPS),
]);

/**
 * `consul [ZONES...] { dns ADDR | http URL; token TOKEN | token_file FILE; ca_file FILE; ca_path DIR;
 * cert_file FILE; key_file FILE; tls_servername NAME; insecure_skip_verify; consistency MODE;
 * max_connections N; datacenter DC; namespace NS; partition AP; translate_wan_addrs; catalog_feed; ttl DURATION; only_passing [true|false]; max_stale DURATION;
 * idle DURATION; first_wait DURATION; resync DURATION }`
 * (ADDR may be `tls://IP[:853]`: DNS over TLS; the TLS file options then apply to it)
 */
export function parse(d: Directive): ConsulOptions {
  const zones = d.args.length > 0 ? d.args.map((t) => t.zone()) : [...DEFAULTS.zones];
  let source: ConsulSource | undefined;
  let sourceAt: Property | undefined;
  let token: string | undefined;
  let datacenter: string | undefined;
  let namespace: string = DEFAULTS.namespace;
  let partition: string = DEFAULTS.partition;
  let translateWanAddrs: boolean = DEFAULTS.translateWanAddrs;
  let catalogFeed: boolean = DEFAULTS.catalogFeed;
  let ttl: number = DEFAULTS.ttl;
  let onlyPassing: boolean = DEFAULTS.onlyPassing;
  let maxStale: number = DEFAULTS.maxStale;
  let idle: number = DEFAULTS.idle;
  let tokenFile: string | undefined;
  let consistency: Consistency = DEFAULTS.consistency;
  let maxConnections: number = DEFAULTS.maxConnections;
  let resync: number = DEFAULTS.resync;
  let firstWait: number = DEFAULTS.firstWait;
  const serviceTtl = new Map<string, number>();
  let nodeTtl: number | undefined;
  let soaMinTtl: number | undefined;
  let nodeMetaTxt: boolean = DEFAULTS.nodeMetaTxt;
  let aRecordLimit: number = DEFAULTS.aRecordLimit;
  const tlsFiles: { -readonly [K in keyof TlsFiles]: TlsFiles[K] } = {};
  const tlsAt = new Map<keyof TlsFiles, Property>();
  const seen = new Set<string>();
  const catalogOnly: Property[] = [];
  for (const p of d.block) {
    const name = p.name.text;
    if (seen.has(name) && name !== 'service_ttl') throw p.fail(`${name} is set twice`);
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
      case 'namespace':
      case 'partition': {
        const t = p.expectArgs(1, 1)[0]!;
        if (!isLabel(t.text)) throw t.fail(`${name} '${t.text}' is not a DNS label`);
        if (name === 'namespace') namespace = t.text.toLowerCase(); else partition = t.text.toLowerCase();
        break;
      }
      case 'translate_wan_addrs': translateWanAddrs = flag(p); break;
      case 'catalog_feed': catalogFeed = flag(p); break;
      case 'ttl': ttl = seconds(p.expectArgs(1, 1)[0]!); break;
      case 'token_file': {
        const t = p.expectArgs(1, 1)[0]!;
        try { new TokenSource(undefined, t.text); } catch (err) { throw t.fail((err as Error).message); }
        tokenFile = t.text;
        break;
      }
      case 'ca_file': case 'ca_path': case 'cert_file': case 'key_file': case 'tls_servername': {
        const key = TLS_PROPS[name]!;
        (tlsFiles as Record<string, string>)[key] = p.expectArgs(1, 1)[0]!.text;
        tlsAt.set(key, p);
        break;
      }
      case 'insecure_skip_verify':
        tlsFiles.insecureSkipVerify = flag(p);
        tlsAt.set('insecureSkipVerify', p);
        break;
      case 'consistency': {
        const t = p.expectArgs(1, 1)[0]!;
        const v = t.text.toLowerCase();
        if (!(CONSISTENCIES as readonly string[]).includes(v)) throw t.fail(`consistency takes ${CONSISTENCIES.join(', ')}, got '${t.text}'`);
        consistency = v as Consistency;
        break;
      }
      case 'max_connections': maxConnections = p.expectArgs(1, 1)[0]!.int(LIMITS.maxConnections); break;
      case 'resync': resync = p.expectArgs(1, 1)[0]!.duration(LIMITS.resync); break;
      case 'first_wait': firstWait = p.expectArgs(1, 1)[0]!.duration(LIMITS.firstWait); break;
      case 'only_passing': onlyPassing = flag(p); break;
      case 'service_ttl': {
        const [n, d] = p.expectArgs(2, 2) as [Token, Token];
        if (!isServiceTtlKey(n.text)) throw n.fail(`service_ttl takes a service name, NAME* or *, got '${n.text}'`);
        if (serviceTtl.has(n.text.toLowerCase())) throw n.fail(`service_ttl ${n.text} is set twice`);
        serviceTtl.set(n.text.toLowerCase(), seconds(d, 'service_ttl'));
        break;
      }
      case 'node_meta_txt': nodeMetaTxt = flag(p); break;
      case 'a_record_limit': aRecordLimit = p.expectArgs(1, 1)[0]!.int(LIMITS.aRecordLimit); break;
      case 'soa_min_ttl': soaMinTtl = seconds(p.expectArgs(1, 1)[0]!, 'soa_min_ttl'); break;
      case 'node_ttl': nodeTtl = seconds(p.expectArgs(1, 1)[0]!, 'node_ttl'); break;
      case 'max_stale': maxStale = p.expectArgs(1, 1)[0]!.duration(LIMITS.maxStale); break;
      case 'idle': idle = p.expectArgs(1, 1)[0]!.duration(LIMITS.idle); break;
      default: throw p.fail(`unknown property '${name}'`);
    }
  }
  if (source === undefined) throw d.fail('needs dns ADDR (DNS mode) or http URL (catalog mode) in its block');
  // Over dns tls:// the TLS file options apply to the DNS connection too.
  const dnsTls = source.mode === 'dns' && source.address.tls !== undefined;
  const wrong = dnsTls ? catalogOnly.filter((p) => !(p.name.text in TLS_PROPS) || p.name.text === 'insecure_skip_verify') : catalogOnly;
  if (source.mode === 'dns' && wrong.length > 0) {
    throw wrong[0]!.fail(`${wrong[0]!.name.text} applies only to catalog mode (http), not to dns`);
  }
  if (token !== undefined && tokenFile !== undefined) throw d.block.find((p) => p.name.text === 'token_file')!.fail('give token or token_file, not both');
  let tls: TlsSettings | undefined;
  if (tlsAt.size > 0) {
    const first = [...tlsAt.values()].sort((a, b) => a.name.line - b.name.line)[0]!;
    const dot = source.mode === 'dns' && source.address.tls !== undefined;
    if (!dot && (source.mode !== 'http' || !source.url.https)) throw first.fail(`${first.name.text} needs an https:// URL in http`);
    try {
      tls = loadTls(tlsFiles);
    } catch (err) {
      if (err instanceof TlsError) throw (tlsAt.get(err.option) ?? first).fail(err.message);
      throw err;
    }
    if (dot && source.mode === 'dns') {
      // DNS over TLS to the agent: the same files, as the upstream transport takes them.
      source = { mode: 'dns', address: { ...source.address, tls: dotSettings(tls) } };
      tls = undefined;
    }
  }
  return {
    zones, source, token, tokenFile, serviceTtl, nodeTtl, soaMinTtl, nodeMetaTxt, aRecordLimit, tls, consistency, maxConnections, resync, datacenter, namespace, partition, translateWanAddrs, catalogFeed, ttl, onlyPassing, maxStale, idle,
    wait: DEFAULTS.wait, firstWait, backoffMin: DEFAULTS.backoffMin,
    backoffMax: DEFAULTS.backoffMax, rateInterval: DEFAULTS.rateInterval,
  };
}

/** A TTL: a duration of whole seconds, 0 to 24h. */
function seconds(t: Token, what = 'ttl'): number {
  const ms = t.duration({ min: LIMITS.ttl.min * 1000, max: LIMITS.ttl.max * 1000 });
  if (ms % 1000 !== 0) throw t.fail(`${what} must be whole seconds, got '${t.text}'`);
  return ms / 1000;
}

function checked<T>(t: Token, fn: (text: string) => T): T {
  try {
    return fn(t.text);
  } catch (err) {
    throw t.fail((err as Error).message);
  }
}

/** A flag alone is on; `false` (or off, no, 0) turns it off. */
function flag(p: Property): boolean {
  const [t] = p.expectArgs(0, 1);
  if (t === undefined) return true;
  const v = t.text.toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  throw t.fail(`${p.name.text} takes true or false, got '${t.text}'`);
}

/** The consul TLS files as DNS-over-TLS settings for core's upstream transport. */
function dotSettings(t: TlsSettings): UpstreamTls {
  return {
    ...(t.ca !== undefined ? { ca: t.ca.map((pem) => Buffer.from(pem)) } : {}),
    ...(t.cert !== undefined ? { cert: Buffer.from(t.cert) } : {}),
    ...(t.key !== undefined ? { key: Buffer.from(t.key) } : {}),
    ...(t.serverName !== undefined ? { servername: t.serverName } : {}),
  };
}
