import { isIP } from 'node:net';
import { optionChecks, type Duration, type Ttl, type UpstreamAddress } from '@dnsmesh/core';
import { loadTls, TlsError, type TlsFiles, type TlsSettings } from './tls.js';

/** Where the plugin reads Consul: the agent's DNS port (DNS mode) or its HTTP API (catalog mode). */
export type ConsulSource =
  | { readonly mode: 'dns'; readonly address: UpstreamAddress }
  | { readonly mode: 'http'; readonly url: HttpBase };

/** The agent's HTTP API: `http:` or `https:`, a host (IP literal or name), a port. */
export interface HttpBase {
  /** `http://127.0.0.1:8500` (no trailing slash): requests append `/v1/...`. */
  readonly href: string;
  readonly host: string;
  readonly port: number;
  readonly https: boolean;
}

/** Consul's read modes (api-docs/features/consistency): `stale` lets any server answer, with no leader too. */
export type Consistency = 'stale' | 'default' | 'consistent';
export const CONSISTENCIES: readonly Consistency[] = ['stale', 'default', 'consistent'];

/** What consul does, from a Corefile or from code. Durations in ms, TTLs in seconds. */
export interface ConsulOptions {
  /** Consul domains answered (canonical, trailing dot). Default `consul.`. */
  readonly zones: readonly string[];
  readonly source: ConsulSource;
  /** Sent as X-Consul-Token (catalog mode). Undefined: none, the agent's default token applies. */
  readonly token: string | undefined;
  /** A file holding the token, read again when it changes (instead of `token`). */
  readonly tokenFile: string | undefined;
  /** TLS to the agent (https URLs only); undefined: Node's default roots, no client certificate. */
  readonly tls: TlsSettings | undefined;
  /** `?stale` (default, as Consul's DNS `allow_stale`), nothing (`default`: the leader answers) or `?consistent`. */
  readonly consistency: Consistency;
  /** Connections to the agent at most, whatever the number of watched names: one change feed holds one, the rest fetch. */
  readonly maxConnections: number;
  /** Every watched view is fetched again this often, for changes the feed cannot see (0: never). */
  readonly resync: Duration;
  /** The datacenter asked for names without one (`&dc=`); undefined: the agent's own. */
  readonly datacenter: string | undefined;
  /** Consul Enterprise: the namespace of names without `.NS.ns` (`&ns=` when not `default`). */
  readonly namespace: string;
  /** Consul Enterprise: the admin partition of names without `.AP.ap` (`&partition=` when not `default`). */
  readonly partition: string;
  /** Consul's `translate_wan_addrs`: answers for another datacenter than the agent's carry the `wan` tagged addresses. */
  readonly translateWanAddrs: boolean;
  /** A second blocking query per scope, on `/v1/catalog/services`, for changes that no check shows. */
  readonly catalogFeed: boolean;
  /** TTL of answers built from the view, and the SOA TTL and MINIMUM of negative answers. */
  readonly ttl: Ttl;
  /** Consul's `service_ttl`: by exact service name, `prefix*` or `*` (lower case); else `ttl`. */
  readonly serviceTtl: ReadonlyMap<string, Ttl>;
  /** Consul's `node_ttl`: node and `.addr` answers; undefined: `ttl`. */
  readonly nodeTtl: Ttl | undefined;
  /** Consul's `dns_config.soa.min_ttl`: the TTL and MINIMUM of every SOA record answered (negative answers too); undefined: `ttl`. */
  readonly soaMinTtl: Ttl | undefined;
  /** Consul's `enable_additional_node_meta_txt`: node meta as TXT in the additional section (default on). */
  readonly nodeMetaTxt: boolean;
  /** Consul's `a_record_limit`: address records per A/AAAA/ANY answer at most, after the shuffle (0: all). */
  readonly aRecordLimit: number;
  /** Only instances whose checks all pass (`?passing`); off: every instance without a critical check. */
  readonly onlyPassing: boolean;
  /** How long the last view keeps answering while Consul is unreachable; after that, SERVFAIL. */
  readonly maxStale: Duration;
  /** A watch stops after its service has not been asked for this long. */
  readonly idle: Duration;
  /** The `wait` of each blocking query (code only; the Corefile keeps Consul's 5m). */
  readonly wait: Duration;
  /** How long a first lookup waits for the watch's first result before SERVFAIL (code only). */
  readonly firstWait: Duration;
  /** Error backoff: the first delay, doubled per failure up to `backoffMax`, with jitter (code only). */
  readonly backoffMin: Duration;
  readonly backoffMax: Duration;
  /** One blocking query per this long per watch, with a burst of 2, so wakeups cannot spin (code only). */
  readonly rateInterval: Duration;
}

/** Every default in one place. */
export const DEFAULTS = {
  zones: ['consul.'] as readonly string[],
  ttl: 5,
  // Consul's DNS default: warning instances are answered, only critical ones are left out.
  onlyPassing: false,
  nodeMetaTxt: true,
  aRecordLimit: 0,
  maxStale: 3_600_000,
  idle: 600_000,
  wait: 300_000,
  firstWait: 2000,
  backoffMin: 1000,
  backoffMax: 30_000,
  rateInterval: 500,
  dnsPort: 8600,
  consistency: 'stale' as Consistency,
  maxConnections: 4,
  resync: 60_000,
  namespace: 'default',
  partition: 'default',
  translateWanAddrs: false,
  catalogFeed: true,
} as const;

/** Limits that the Corefile and the code factory both check. */
export const LIMITS = {
  ttl: { min: 0, max: 86_400 },
  maxStale: { min: 0, max: 7 * 86_400_000 },
  idle: { min: 1000, max: 7 * 86_400_000 },
  wait: { min: 100, max: 600_000 },
  firstWait: { min: 0, max: 30_000 },
  backoff: { min: 10, max: 600_000 },
  rateInterval: { min: 0, max: 60_000 },
  aRecordLimit: { min: 0, max: 4096 },
  maxConnections: { min: 2, max: 64 },
  resync: { min: 0, max: 86_400_000 },
} as const;

/** DNS mode: the whole budget of one query (as forward's); SERVFAIL after it. */
export const DNS_TIMEOUT: Duration = 5000;

/**
 * `http://127.0.0.1:8500`, `https://[::1]:8501`, `https://consul.service.internal:8501`. A host
 * name is resolved by the system's getaddrinfo at each connect (`localhost` from /etc/hosts). No
 * user, path, query or fragment. Throws an Error saying what is wrong.
 */
export function parseHttpUrl(text: string): HttpBase {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`expected an http:// or https:// URL like http://127.0.0.1:8500, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`only http: and https: URLs are supported, got '${url.protocol}' in '${text}'`);
  if (url.username !== '' || url.password !== '') throw new Error(`the URL must not carry a user or password: '${text}'`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`the URL must not have a path (the plugin adds /v1/...): '${text}'`);
  if (url.search !== '' || url.hash !== '') throw new Error(`the URL must not have a query or fragment: '${text}'`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0 && !isHostName(host)) throw new Error(`'${host}' is not an IP address or a host name`);
  const https = url.protocol === 'https:';
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  return { href: `${url.protocol}//${url.host}`, host, port, https };
}

/** Letters, digits, hyphens and dots: what getaddrinfo is asked for. */
export function isHostName(text: string): boolean {
  return text.length <= 253 && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(text);
}

/** `IP[:PORT]` or `[IPv6]:PORT`, port 8600 by default. Throws an Error saying what is wrong. */
export function parseDnsAddress(text: string): UpstreamAddress {
  let host: string;
  let port = String(DEFAULTS.dnsPort);
  const secure = /^tls:\/\//i.test(text);
  if (secure) port = '853';
  const rest = text.replace(/^(dns|tls):\/\//i, '');
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new Error(`expected IP[:PORT] or [IPv6]:PORT, got '${text}'`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new Error(`expected IP[:PORT] or [IPv6]:PORT, got '${text}'`);
    if (after !== '') port = after.slice(1);
  } else if (isIP(rest) === 6) {
    host = rest;
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) port = rest.slice(colon + 1);
  }
  if (isIP(host) === 0) throw new Error(`'${host}' is not an IP address: the agent's DNS address must be an IP literal`);
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`port '${port}' of '${text}' is not between 1 and 65535`);
  return secure ? { host, port: n, tls: {} } : { host, port: n };
}

/** The address ctx.state.upstream and logs show: "127.0.0.1:8500", "[::1]:8600". */
export function sourceLabel(source: ConsulSource): string {
  const { host, port } = source.mode === 'dns' ? source.address : source.url;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What the code factory `consul(input)` takes: the Corefile's options, in code. Durations in ms. */
export interface ConsulInput {
  /** Default ['consul.']. */
  readonly zones?: readonly string[];
  /** DNS mode: the agent's DNS address ('127.0.0.1:8600'). Exactly one of dns and http. */
  readonly dns?: string | UpstreamAddress;
  /** Catalog mode: the agent's HTTP API ('http://127.0.0.1:8500'). */
  readonly http?: string;
  readonly token?: string;
  /** A file holding the token, read again when it changes. */
  readonly tokenFile?: string;
  /** TLS files for an https URL. */
  readonly tls?: TlsFiles;
  readonly consistency?: Consistency;
  readonly maxConnections?: number;
  readonly resync?: Duration;
  readonly datacenter?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly translateWanAddrs?: boolean;
  readonly catalogFeed?: boolean;
  /** Seconds. */
  readonly ttl?: Ttl;
  /** Seconds, by exact service name, `prefix*` or `*`. */
  readonly serviceTtl?: Readonly<Record<string, Ttl>>;
  /** Seconds. */
  readonly nodeTtl?: Ttl;
  /** Seconds. */
  readonly soaMinTtl?: Ttl;
  readonly nodeMetaTxt?: boolean;
  readonly aRecordLimit?: number;
  readonly onlyPassing?: boolean;
  readonly maxStale?: Duration;
  readonly idle?: Duration;
  readonly wait?: Duration;
  readonly firstWait?: Duration;
  readonly backoffMin?: Duration;
  readonly backoffMax?: Duration;
  readonly rateInterval?: Duration;
}

/** Checks code input once, with the Corefile's limits; a TypeError names the option. */
export function resolveOptions(input: ConsulInput, zone: (text: string) => string): ConsulOptions {
  const { bad, msIn, zoneOf } = optionChecks('consul', zone);

  if ((input.dns === undefined) === (input.http === undefined)) bad('dns/http', 'give exactly one of dns (DNS mode) and http (catalog mode)');
  let source: ConsulSource;
  if (input.dns !== undefined) {
    const d = input.dns;
    if (typeof d === 'string') {
      try { source = { mode: 'dns', address: parseDnsAddress(d) }; } catch (err) { return bad('dns', (err as Error).message); }
    } else {
      if (isIP(d?.host ?? '') === 0) bad('dns', `'${d?.host}' is not an IP address`);
      if (!Number.isInteger(d.port) || d.port < 1 || d.port > 65535) bad('dns', `port must be from 1 to 65535, got ${d.port}`);
      source = { mode: 'dns', address: d.tls === undefined ? { host: d.host, port: d.port } : { host: d.host, port: d.port, tls: d.tls } };
    }
    const catalogOnly = ['serviceTtl', 'nodeTtl', 'soaMinTtl', 'nodeMetaTxt', 'aRecordLimit', 'token', 'tokenFile', 'tls', 'consistency', 'maxConnections', 'resync', 'datacenter', 'namespace', 'partition', 'translateWanAddrs', 'catalogFeed', 'ttl', 'onlyPassing', 'maxStale', 'idle', 'wait'] as const;
    for (const key of catalogOnly) if (input[key] !== undefined) bad(key, 'applies only to catalog mode (http)');
  } else {
    try { source = { mode: 'http', url: parseHttpUrl(String(input.http)) }; } catch (err) { return bad('http', (err as Error).message); }
  }
  const zones = (input.zones ?? DEFAULTS.zones).map((z, i) => zoneOf(`zones[${i}]`, z));
  if (zones.length === 0) bad('zones', 'needs at least one zone');
  const ttl = input.ttl ?? DEFAULTS.ttl;
  if (!Number.isInteger(ttl) || ttl < LIMITS.ttl.min || ttl > LIMITS.ttl.max) bad('ttl', `expected whole seconds from ${LIMITS.ttl.min} to ${LIMITS.ttl.max}, got ${String(ttl)}`);
  if (input.datacenter !== undefined && !isLabel(input.datacenter)) bad('datacenter', `'${input.datacenter}' is not a DNS label`);
  if (input.namespace !== undefined && !isLabel(input.namespace)) bad('namespace', `'${input.namespace}' is not a DNS label`);
  if (input.partition !== undefined && !isLabel(input.partition)) bad('partition', `'${input.partition}' is not a DNS label`);
  if (input.token !== undefined && (typeof input.token !== 'string' || !isTokenText(input.token))) bad('token', 'expected printable ASCII without spaces');
  if (input.token !== undefined && input.tokenFile !== undefined) bad('tokenFile', 'give token or tokenFile, not both');
  const wholeSeconds = (option: string, v: unknown): Ttl => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < LIMITS.ttl.min || v > LIMITS.ttl.max) bad(option, `expected whole seconds from ${LIMITS.ttl.min} to ${LIMITS.ttl.max}, got ${String(v)}`);
    return v as Ttl;
  };
  const serviceTtl = new Map<string, Ttl>();
  for (const [name, v] of Object.entries(input.serviceTtl ?? {})) {
    if (!isServiceTtlKey(name)) bad(`serviceTtl[${name}]`, 'expected a service name, NAME* or *');
    serviceTtl.set(name.toLowerCase(), wholeSeconds(`serviceTtl[${name}]`, v));
  }
  const nodeTtl = input.nodeTtl === undefined ? undefined : wholeSeconds('nodeTtl', input.nodeTtl);
  const soaMinTtl = input.soaMinTtl === undefined ? undefined : wholeSeconds('soaMinTtl', input.soaMinTtl);
  let tls: TlsSettings | undefined;
  if (input.tls !== undefined) {
    if (source.mode !== 'http' || !source.url.https) bad('tls', 'needs an https:// URL');
    try { tls = loadTls(input.tls); } catch (err) { return bad(err instanceof TlsError ? `tls.${err.option}` : 'tls', (err as Error).message); }
  }
  const consistency = input.consistency ?? DEFAULTS.consistency;
  if (!CONSISTENCIES.includes(consistency)) bad('consistency', `expected one of ${CONSISTENCIES.join(', ')}, got ${String(consistency)}`);
  const { intIn } = optionChecks('consul', zone);
  const maxConnections = intIn('maxConnections', input.maxConnections ?? DEFAULTS.maxConnections, LIMITS.maxConnections);
  const backoffMin = msIn('backoffMin', input.backoffMin ?? DEFAULTS.backoffMin, LIMITS.backoff);
  const backoffMax = msIn('backoffMax', input.backoffMax ?? Math.max(DEFAULTS.backoffMax, backoffMin), LIMITS.backoff);
  if (backoffMax < backoffMin) bad('backoffMax', `must be at least backoffMin (${backoffMin})`);
  return {
    zones,
    source,
    token: input.token === '' ? undefined : input.token,
    tokenFile: input.tokenFile,
    serviceTtl,
    nodeTtl,
    soaMinTtl,
    nodeMetaTxt: input.nodeMetaTxt ?? DEFAULTS.nodeMetaTxt,
    aRecordLimit: intIn('aRecordLimit', input.aRecordLimit ?? DEFAULTS.aRecordLimit, LIMITS.aRecordLimit),
    tls,
    consistency,
    maxConnections,
    resync: msIn('resync', input.resync ?? DEFAULTS.resync, LIMITS.resync),
    datacenter: input.datacenter?.toLowerCase(),
    namespace: (input.namespace ?? DEFAULTS.namespace).toLowerCase(),
    partition: (input.partition ?? DEFAULTS.partition).toLowerCase(),
    translateWanAddrs: input.translateWanAddrs ?? DEFAULTS.translateWanAddrs,
    catalogFeed: input.catalogFeed ?? DEFAULTS.catalogFeed,
    ttl,
    onlyPassing: input.onlyPassing ?? DEFAULTS.onlyPassing,
    maxStale: msIn('maxStale', input.maxStale ?? DEFAULTS.maxStale, LIMITS.maxStale),
    idle: msIn('idle', input.idle ?? DEFAULTS.idle, LIMITS.idle),
    wait: msIn('wait', input.wait ?? DEFAULTS.wait, LIMITS.wait),
    firstWait: msIn('firstWait', input.firstWait ?? DEFAULTS.firstWait, LIMITS.firstWait),
    backoffMin,
    backoffMax,
    rateInterval: msIn('rateInterval', input.rateInterval ?? DEFAULTS.rateInterval, LIMITS.rateInterval),
  };
}

/** A `service_ttl` key: a service name, a prefix with `*`, or `*` alone. */
export function isServiceTtlKey(text: string): boolean {
  return /^([a-z0-9_-][a-z0-9_.-]*\*?|\*)$/i.test(text);
}

/**
 * The TTL of a service's answers, as Consul picks it from `service_ttl`: the exact name, else the
 * longest matching `prefix*`, else `*`, else `fallback`.
 */
export function serviceTtlOf(map: ReadonlyMap<string, Ttl>, service: string, fallback: Ttl): Ttl {
  const name = service.toLowerCase();
  const exact = map.get(name);
  if (exact !== undefined) return exact;
  let best: { len: number; ttl: Ttl } | undefined;
  for (const [key, ttl] of map) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (name.startsWith(prefix) && (best === undefined || prefix.length > best.len)) best = { len: prefix.length, ttl };
  }
  return best?.ttl ?? fallback;
}

/** A datacenter name: one DNS label (Consul's datacenter names cannot contain dots). */
export function isLabel(text: string): boolean {
  return /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/i.test(text);
}

/** What an HTTP header can carry as a Consul token: printable ASCII, no spaces. */
export function isTokenText(text: string): boolean {
  return /^[\x21-\x7e]*$/.test(text);
}
