// Every option of the simulator and its default, in one place (notes §2 and §6).
import { ttlSeconds, parseGoDuration, type TtlInput } from './duration.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** The keys of Consul's `dns_config` block that the simulator honours. */
export interface DnsConfig {
  node_ttl?: TtlInput;
  /** Exact names, `prefix*` entries and `*`; exact wins, then the longest prefix, then `*`. */
  service_ttl?: Record<string, TtlInput>;
  enable_truncate?: boolean;
  only_passing?: boolean;
  udp_answer_limit?: number;
  a_record_limit?: number;
  enable_additional_node_meta_txt?: boolean;
  soa?: { refresh?: number; retry?: number; expire?: number; min_ttl?: number };
  use_cache?: boolean;
  allow_stale?: boolean;
  max_stale?: TtlInput;
}

export interface AclOptions {
  /** token -> 'all', or the service names it may read (node reads are implied). */
  tokens: Record<string, 'all' | readonly string[]>;
  /** The agent's default token: used when a request carries none, and by DNS unless dns_token is set. */
  default_token?: string;
  dns_token?: string;
}

export interface SimOptions {
  domain?: string;
  alt_domain?: string;
  datacenter?: string;
  node_name?: string;
  host?: string;
  dnsPort?: number;
  httpPort?: number;
  dns_config?: DnsConfig;
  /** Only advertises recursion (RA); the simulator never contacts them. */
  recursors?: readonly string[];
  /** Seeds the shuffle; without it the order differs between runs. */
  seed?: number;
  acl?: AclOptions;
  /** Scales blocking-query waits, e.g. 0.001 turns the default 5m into 300ms. */
  timeScale?: number;
  /** v2 (default since 1.19) lowercases names and falls back to node_ttl; v1 keeps the query's case. */
  dns_variant?: 'v1' | 'v2';
  /** Reported as consul-version in node meta and in /v1/agent/self. */
  version?: string;
  /** HTTPS instead of HTTP on the API port (PEM text), as `ports.https` with `tls.https` in Consul. */
  tls?: TlsOptions;
  /** Consul's `limits.http_max_conns_per_client` (200): past it, a new connection gets 429 and is closed. */
  http_max_conns_per_client?: number;
  /** Consul Enterprise: `?ns=` and `?partition=` are taken. CE (the default) answers 400 to either. */
  enterprise?: boolean;
}

export interface TlsOptions {
  readonly cert: string;
  readonly key: string;
  /** CA certificates that client certificates must chain to (with verify_incoming). */
  readonly ca?: string;
  /** Consul's `tls.https.verify_incoming`: a client certificate is required. */
  readonly verify_incoming?: boolean;
}

export interface SimConfig {
  readonly domain: string;          // lowercase, no trailing dot
  readonly altDomain: string | undefined;
  readonly datacenter: string;
  /** Enterprise: namespaces and partitions in HTTP reads. */
  readonly enterprise: boolean;
  readonly nodeName: string;
  readonly host: string;
  readonly dnsPort: number;
  readonly httpPort: number;
  readonly nodeTtl: number;         // seconds
  readonly serviceTtl: ReadonlyMap<string, number>;
  readonly enableTruncate: boolean;
  readonly onlyPassing: boolean;
  readonly udpAnswerLimit: number;
  readonly aRecordLimit: number;
  readonly nodeMetaTxt: boolean;
  readonly soa: { readonly refresh: number; readonly retry: number; readonly expire: number; readonly minTtl: number };
  readonly useCache: boolean;
  readonly allowStale: boolean;
  readonly maxStaleMs: number;
  readonly recursors: readonly string[];
  readonly seed: number | undefined;
  readonly acl: AclOptions | undefined;
  readonly timeScale: number;
  readonly variant: 'v1' | 'v2';
  readonly version: string;
  readonly tls: TlsOptions | undefined;
  readonly maxConnsPerClient: number;
}

export const DEFAULTS = {
  domain: 'consul.', datacenter: 'dc1', node_name: 'consul-sim', host: '127.0.0.1', port: 0,
  udp_answer_limit: 3, a_record_limit: 0, soa: { refresh: 3600, retry: 600, expire: 86400, min_ttl: 0 },
  max_stale: '87600h', timeScale: 1, dns_variant: 'v2', version: '1.19.2', http_max_conns_per_client: 200,
} as const;

const bareDomain = (d: string): string => d.toLowerCase().replace(/\.$/, '');

export function resolveOptions(o: SimOptions = {}): SimConfig {
  const dns = o.dns_config ?? {};
  const udpAnswerLimit = dns.udp_answer_limit ?? DEFAULTS.udp_answer_limit;
  if (!Number.isInteger(udpAnswerLimit) || udpAnswerLimit <= 0) {
    throw new TypeError(`consul-sim: dns_config.udp_answer_limit must be a positive integer, got ${udpAnswerLimit}`);
  }
  const maxConnsPerClient = o.http_max_conns_per_client ?? DEFAULTS.http_max_conns_per_client;
  if (!Number.isInteger(maxConnsPerClient) || maxConnsPerClient < 0) {
    throw new TypeError(`consul-sim: http_max_conns_per_client must be an integer >= 0 (0: no limit), got ${maxConnsPerClient}`);
  }
  const timeScale = o.timeScale ?? DEFAULTS.timeScale;
  if (!(timeScale > 0)) throw new TypeError(`consul-sim: timeScale must be > 0, got ${timeScale}`);
  const maxStaleMs = parseGoDuration(String(dns.max_stale ?? DEFAULTS.max_stale));
  if (maxStaleMs === undefined) throw new TypeError(`consul-sim: dns_config.max_stale is not a duration`);
  const serviceTtl = new Map<string, number>();
  for (const [name, ttl] of Object.entries(dns.service_ttl ?? {})) {
    serviceTtl.set(name.toLowerCase(), ttlSeconds(ttl, `dns_config.service_ttl[${name}]`));
  }
  const soa = { ...DEFAULTS.soa, ...dns.soa };
  return {
    domain: bareDomain(o.domain ?? DEFAULTS.domain),
    altDomain: o.alt_domain === undefined || o.alt_domain === '' ? undefined : bareDomain(o.alt_domain),
    datacenter: (o.datacenter ?? DEFAULTS.datacenter).toLowerCase(),
    enterprise: o.enterprise ?? false,
    nodeName: o.node_name ?? DEFAULTS.node_name,
    host: o.host ?? DEFAULTS.host,
    dnsPort: o.dnsPort ?? DEFAULTS.port,
    httpPort: o.httpPort ?? DEFAULTS.port,
    nodeTtl: ttlSeconds(dns.node_ttl ?? 0, 'dns_config.node_ttl'),
    serviceTtl,
    enableTruncate: dns.enable_truncate ?? false,
    onlyPassing: dns.only_passing ?? false,
    udpAnswerLimit,
    aRecordLimit: dns.a_record_limit ?? DEFAULTS.a_record_limit,
    nodeMetaTxt: dns.enable_additional_node_meta_txt ?? true,
    soa: { refresh: soa.refresh, retry: soa.retry, expire: soa.expire, minTtl: soa.min_ttl },
    useCache: dns.use_cache ?? false,
    allowStale: (dns.allow_stale ?? true) || (dns.use_cache ?? false), // use_cache implies allow_stale
    maxStaleMs,
    recursors: o.recursors ?? [],
    seed: o.seed,
    acl: o.acl === undefined ? undefined : { ...o.acl, tokens: { ...o.acl.tokens } },  // own copy: tokens can be revoked
    timeScale,
    variant: o.dns_variant ?? DEFAULTS.dns_variant,
    version: o.version ?? DEFAULTS.version,
    tls: o.tls,
    maxConnsPerClient,
  };
}
