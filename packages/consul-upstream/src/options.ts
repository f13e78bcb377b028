import { isIP } from 'node:net';
import { optionChecks, type Duration, type Ttl, type UpstreamAddress } from '@dnsmesh/core';

/** Where the plugin reads Consul: the agent's DNS port (DNS mode) or its HTTP API (catalog mode). */
export type ConsulSource =
  | { readonly mode: 'dns'; readonly address: UpstreamAddress }
  | { readonly mode: 'http'; readonly url: HttpBase };

/** The agent's HTTP API: only `http:`, an IP literal or localhost, a port. */
export interface HttpBase {
  /** `http://127.0.0.1:8500` (no trailing slash): requests append `/v1/...`. */
  readonly href: string;
  readonly host: string;
  readonly port: number;
}

/** What consul does, from a Corefile or from code. Durations in ms, TTLs in seconds. */
export interface ConsulOptions {
  /** Consul domains answered (canonical, trailing dot). Default `consul.`. */
  readonly zones: readonly string[];
  readonly source: ConsulSource;
  /** Sent as X-Consul-Token (catalog mode). Undefined: none, the agent's default token applies. */
  readonly token: string | undefined;
  /** The datacenter asked for names without one (`&dc=`); undefined: the agent's own. */
  readonly datacenter: string | undefined;
  /** TTL of answers built from the view, and the SOA TTL and MINIMUM of negative answers. */
  readonly ttl: Ttl;
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
  onlyPassing: true,
  maxStale: 3_600_000,
  idle: 600_000,
  wait: 300_000,
  firstWait: 2000,
  backoffMin: 1000,
  backoffMax: 30_000,
  rateInterval: 500,
  dnsPort: 8600,
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
} as const;

/** DNS mode: the whole budget of one query (as forward's); SERVFAIL after it. */
export const DNS_TIMEOUT: Duration = 5000;

/**
 * `http://127.0.0.1:8500`, `http://[::1]:8500`, `http://localhost:8500`. Only `http:` (Consul's
 * agent listens on loopback; TLS is not supported), no names other than localhost (nothing is
 * looked up), no user, path, query or fragment. Throws an Error saying what is wrong.
 */
export function parseHttpUrl(text: string): HttpBase {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`expected an http:// URL like http://127.0.0.1:8500, got '${text}'`);
  }
  if (url.protocol !== 'http:') throw new Error(`only http: URLs are supported, got '${url.protocol}' in '${text}'`);
  if (url.username !== '' || url.password !== '') throw new Error(`the URL must not carry a user or password: '${text}'`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`the URL must not have a path (the plugin adds /v1/...): '${text}'`);
  if (url.search !== '' || url.hash !== '') throw new Error(`the URL must not have a query or fragment: '${text}'`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0 && host !== 'localhost') {
    throw new Error(`'${host}' is not an IP address or localhost: the agent address must not need a lookup`);
  }
  const port = url.port === '' ? 80 : Number(url.port);
  return { href: `http://${url.host}`, host, port };
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
  readonly datacenter?: string;
  /** Seconds. */
  readonly ttl?: Ttl;
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
    const catalogOnly = ['token', 'datacenter', 'ttl', 'onlyPassing', 'maxStale', 'idle', 'wait'] as const;
    for (const key of catalogOnly) if (input[key] !== undefined) bad(key, 'applies only to catalog mode (http)');
  } else {
    try { source = { mode: 'http', url: parseHttpUrl(String(input.http)) }; } catch (err) { return bad('http', (err as Error).message); }
  }
  const zones = (input.zones ?? DEFAULTS.zones).map((z, i) => zoneOf(`zones[${i}]`, z));
  if (zones.length === 0) bad('zones', 'needs at least one zone');
  const ttl = input.ttl ?? DEFAULTS.ttl;
  if (!Number.isInteger(ttl) || ttl < LIMITS.ttl.min || ttl > LIMITS.ttl.max) bad('ttl', `expected whole seconds from ${LIMITS.ttl.min} to ${LIMITS.ttl.max}, got ${String(ttl)}`);
  if (input.datacenter !== undefined && !isLabel(input.datacenter)) bad('datacenter', `'${input.datacenter}' is not a DNS label`);
  if (input.token !== undefined && (typeof input.token !== 'string' || !isTokenText(input.token))) bad('token', 'expected printable ASCII without spaces');
  const backoffMin = msIn('backoffMin', input.backoffMin ?? DEFAULTS.backoffMin, LIMITS.backoff);
  const backoffMax = msIn('backoffMax', input.backoffMax ?? Math.max(DEFAULTS.backoffMax, backoffMin), LIMITS.backoff);
  if (backoffMax < backoffMin) bad('backoffMax', `must be at least backoffMin (${backoffMin})`);
  return {
    zones,
    source,
    token: input.token === '' ? undefined : input.token,
    datacenter: input.datacenter?.toLowerCase(),
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

/** A datacenter name: one DNS label (Consul's datacenter names cannot contain dots). */
export function isLabel(text: string): boolean {
  return /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/i.test(text);
}

/** What an HTTP header can carry as a Consul token: printable ASCII, no spaces. */
export function isTokenText(text: string): boolean {
  return /^[\x21-\x7e]*$/.test(text);
}
