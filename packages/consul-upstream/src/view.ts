import { isIP } from 'node:net';

/** One healthy instance of a service, as the answers need it. */
export interface Instance {
  /** The node's name, as registered (case kept). */
  readonly node: string;
  /** Service.Address when set, else Node.Address: what A/AAAA answers and SRV glue carry. */
  readonly address: string;
  /** 4 or 6 for an IP, 0 for a hostname (no A/AAAA; an SRV target of its own, without glue). */
  readonly family: 0 | 4 | 6;
  /** True when Service.Address is set: the SRV target is then `HEX.addr.DC.ZONE` (or the hostname). */
  readonly ownAddress: boolean;
  readonly port: number;
  /** Lower case: tag lookups are case-insensitive. */
  readonly tags: readonly string[];
  /** SRV weight: Weights.Passing, or Weights.Warning when a check warns. */
  readonly weight: number;
  readonly datacenter: string;
  /** What A, AAAA and ANY queries answer for it, with its tagged addresses applied (Consul's rule). */
  readonly byType: ByType;
}

/**
 * The address (or host name) that A, AAAA and ANY queries answer, as Consul's agent translates
 * it (TranslateAddress): `lan_ipv4` for A and `lan_ipv6` for AAAA when tagged, else the plain
 * address; ANY takes `lan_ipv6`, then `lan_ipv4`, then the plain one. An instance uses its
 * service's addresses when the service has any, else its node's. An address of the other family
 * gives no record (Consul does not fall back to the node then).
 */
export interface ByType {
  readonly a: string;
  readonly aaaa: string;
  readonly any: string;
}

/** A node, for NODE.node lookups and SRV targets. */
export interface NodeInfo {
  readonly name: string;
  readonly address: string;
  readonly family: 0 | 4 | 6;
  readonly datacenter: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly byType: ByType;
}

/**
 * What one watch knows: the instances that may be answered (already filtered by health) and the
 * nodes they run on, keyed by lower-cased name. `fingerprint` changes only when an answer could.
 */
export interface View {
  readonly instances: readonly Instance[];
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  readonly fingerprint: string;
  /** Set when Consul said there is no such datacenter (answered NXDOMAIN, as Consul's DNS does). */
  readonly noDatacenter?: boolean;
  /** Prepared queries: the query's `DNS.TTL` in seconds, when it sets one (else the plugin's `ttl`). */
  readonly ttl?: number;
  /** Prepared queries: the service the query ran on (lower case), so the change feed can wake it. */
  readonly service?: string;
  /** Connect views: the service's virtual IP (the `consul-virtual` tagged address of its proxies), whatever their health. */
  readonly virtualIp?: string;
  /** The names of the services in the body (lower case): a Connect view holds its proxies'. */
  readonly serviceNames?: ReadonlySet<string>;
}

export const EMPTY_VIEW: View = { instances: [], nodes: new Map(), fingerprint: '' };
export const NO_DATACENTER: View = { ...EMPTY_VIEW, fingerprint: '!dc', noDatacenter: true };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The body of `GET /v1/health/service/NAME` as a view. An instance with a critical check (node or
 * service; maintenance is a critical check) is left out, and with `onlyPassing` one with a
 * warning too (the agent already filters with `?passing`; this is the same rule again, so a
 * body that did not honour it cannot leak). Throws on a body that is not Consul's shape.
 */
export function healthView(body: unknown, onlyPassing: boolean, defaultDc: string): View {
  if (!Array.isArray(body)) throw new TypeError('expected a JSON array');
  const instances: Instance[] = [];
  const nodes = new Map<string, NodeInfo>();
  const prints: string[] = [];
  const serviceNames = new Set<string>();
  let virtualIp: string | undefined;
  for (const entry of body) {
    if (!isObject(entry) || !isObject(entry['Node']) || !isObject(entry['Service'])) throw new TypeError('expected {Node, Service, Checks} entries');
    const n = entry['Node'];
    const s = entry['Service'];
    const status = worstStatus(entry['Checks']);
    if (str(s['Service']) !== '') serviceNames.add(str(s['Service']).toLowerCase());
    const vip = isObject(s['TaggedAddresses']) && isObject(s['TaggedAddresses']['consul-virtual']) ? str(s['TaggedAddresses']['consul-virtual']['Address']) : '';
    if (virtualIp === undefined && isIP(vip) !== 0) virtualIp = vip;
    if (status === 'critical' || (onlyPassing && status !== 'passing')) continue;
    const node = nodeInfo(n, defaultDc);
    if (node === undefined) continue;
    const serviceAddress = str(s['Address']);
    const address = serviceAddress !== '' ? serviceAddress : node.address;
    if (address === '') continue;
    const weights = isObject(s['Weights']) ? s['Weights'] : {};
    const weightOf = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : 1);
    const instance: Instance = {
      node: node.name,
      address,
      family: isIP(address) as 0 | 4 | 6,
      // Consul's SRV target is `.addr` only when the service address differs from the node's.
      ownAddress: serviceAddress !== '' && serviceAddress !== node.address,
      port: typeof s['Port'] === 'number' && s['Port'] >= 0 && s['Port'] <= 65535 ? s['Port'] : 0,
      tags: Array.isArray(s['Tags']) ? s['Tags'].filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase()) : [],
      weight: status === 'warning' ? weightOf(weights['Warning']) : weightOf(weights['Passing']),
      datacenter: node.datacenter,
      byType: serviceByType(s, serviceAddress, node),
    };
    instances.push(instance);
    nodes.set(node.name.toLowerCase(), node);
    prints.push(`${instance.node}|${instance.address}|${instance.port}|${instance.tags.join(',')}|${instance.weight}|${instance.datacenter}|${metaPrint(node.meta)}|${printByType(instance.byType)}`);
  }
  return { instances, nodes, serviceNames, virtualIp, fingerprint: `${prints.join('\n')}\nvip=${virtualIp ?? ''}` };
}

/**
 * The body of `GET /v1/query/NAME/execute`: `{Service, Nodes: [health entries], DNS: {TTL}}`. The
 * query's own filters ran on the server (its OnlyPassing, tags, Near, failover); only critical
 * instances are dropped here, as Consul's DNS does for prepared queries (dns_config.only_passing
 * does not apply to them).
 */
export function queryView(body: unknown, defaultDc: string): View {
  if (!isObject(body) || !Array.isArray(body['Nodes'])) throw new TypeError('expected {Service, Nodes, DNS}');
  const dc = str(body['Datacenter']).toLowerCase() || defaultDc;
  const base = healthView(body['Nodes'], false, dc);
  const dns = isObject(body['DNS']) ? body['DNS'] : {};
  const ttlMs = typeof dns['TTL'] === 'string' && dns['TTL'] !== '' ? goDuration(dns['TTL']) : undefined;
  const ttl = ttlMs === undefined ? undefined : Math.min(86_400, Math.floor(ttlMs / 1000));
  const service = str(body['Service']).toLowerCase();
  return { ...base, ttl, service, fingerprint: `${base.fingerprint}\nttl=${ttl ?? ''}` };
}

/** Go's time.Duration text (`10s`, `1m30s`, `500ms`, `1h`) in ms; undefined when it is not one. */
export function goDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let at = 0;
  if (text === '0') return 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  return at === text.length && at > 0 ? total : undefined;
}

/** The body of `GET /v1/catalog/nodes` (every node of the datacenter) as a view with no instances. */
export function nodeListView(body: unknown, defaultDc: string): View {
  if (!Array.isArray(body)) throw new TypeError('expected a JSON array of nodes');
  const nodes = new Map<string, NodeInfo>();
  for (const n of body) {
    if (!isObject(n)) throw new TypeError('expected {Node, Address, ...} entries');
    const node = nodeInfo(n, defaultDc);
    if (node !== undefined) nodes.set(node.name.toLowerCase(), node);
  }
  const fingerprint = [...nodes.values()].map((n) => `${n.name}|${n.address}|${n.datacenter}|${printByType(n.byType)}`).sort().join('\n');
  return { instances: [], nodes, fingerprint };
}

/** The body of `GET /v1/catalog/node/NAME` (`null` for an unknown node) as a view with no instances. */
export function nodeView(body: unknown, defaultDc: string): View {
  if (body === null) return EMPTY_VIEW;
  if (!isObject(body) || !isObject(body['Node'])) throw new TypeError('expected {Node, Services} or null');
  const node = nodeInfo(body['Node'], defaultDc);
  if (node === undefined) return EMPTY_VIEW;
  return {
    instances: [],
    nodes: new Map([[node.name.toLowerCase(), node]]),
    fingerprint: `${node.name}|${node.address}|${node.datacenter}|${metaPrint(node.meta)}|${printByType(node.byType)}`,
  };
}

function nodeInfo(n: Json, defaultDc: string): NodeInfo | undefined {
  const name = str(n['Node']);
  const address = str(n['Address']);
  if (name === '' || !isDnsName(name)) return undefined;
  const meta: Record<string, string> = {};
  if (isObject(n['Meta'])) for (const [k, v] of Object.entries(n['Meta'])) if (typeof v === 'string') meta[k] = v;
  const dc = str(n['Datacenter']).toLowerCase();
  const tagged = isObject(n['TaggedAddresses']) ? n['TaggedAddresses'] : {};
  const byType = translate(address, str(tagged['lan_ipv4']), str(tagged['lan_ipv6']));
  return { name, address, family: isIP(address) as 0 | 4 | 6, datacenter: dc === '' ? defaultDc : dc, meta, byType };
}

/** Consul's choice for each type from the plain address and the tagged lan_ipv4 / lan_ipv6 ('' when untagged). */
function translate(plain: string, v4: string, v6: string): ByType {
  return { a: v4 || plain, aaaa: v6 || plain, any: v6 || v4 || plain };
}

/** The service's own (tagged) addresses when it has any, else its node's, per type. */
function serviceByType(s: Json, serviceAddress: string, node: NodeInfo): ByType {
  const tagged = isObject(s['TaggedAddresses']) ? s['TaggedAddresses'] : {};
  const at = (key: string): string => { const v = tagged[key]; return isObject(v) ? str(v['Address']) : ''; };
  const own = translate(serviceAddress, at('lan_ipv4'), at('lan_ipv6'));
  return { a: own.a || node.byType.a, aaaa: own.aaaa || node.byType.aaaa, any: own.any || node.byType.any };
}

function printByType(b: ByType): string {
  return `${b.a},${b.aaaa},${b.any}`;
}

/** The worst status among the entry's checks (none: passing). */
function worstStatus(checks: unknown): 'passing' | 'warning' | 'critical' {
  let worst: 'passing' | 'warning' | 'critical' = 'passing';
  if (!Array.isArray(checks)) return worst;
  for (const c of checks) {
    const status = isObject(c) ? str(c['Status']) : '';
    if (status === 'critical' || status === 'maintenance') return 'critical';
    if (status === 'warning') worst = 'warning';
  }
  return worst;
}

function metaPrint(meta: Readonly<Record<string, string>>): string {
  return Object.keys(meta).sort().map((k) => `${k}=${meta[k]}`).join(',');
}

/** Labels of 1 to 63 bytes, 253 in all: a name a reply can carry. */
export function isDnsName(name: string): boolean {
  if (name.length > 200) return false;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63 && !/[\s\\]/.test(l));
}
