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
  /** Its SRV target and glue, with the tagged addresses applied (Consul's rule, accepting any family). */
  readonly srv: SrvPlan;
  /** The service's name as registered (for the `NAME.service.DC` SRV target). */
  readonly service: string;
  /** The service's namespace when Consul says one (Enterprise), else ''. */
  readonly namespace: string;
  /** The same, translated for a client in another datacenter (`translate_wan_addrs`). */
  readonly wan: Addressing;
}

/**
 * An SRV record's target, as Consul's DNS server (1.19+) names it from the service's and node's
 * addresses, each translated accepting any family (tagged lan_ipv6, then lan_ipv4, then the plain
 * one): no service address, `NODE.node.DC` with the node's address as glue; a service address
 * that differs from the node's `Address`, `HEX.addr.DC` with it as glue; one equal to it,
 * `NAME.service[.NS].DC` with it as glue; a host name, itself, without glue.
 */
export type SrvPlan =
  | { readonly target: 'node' | 'addr' | 'service'; readonly ip: string; readonly family: 4 | 6 }
  | { readonly target: 'host'; readonly host: string }
  | { readonly target: 'none' };

/** What one client locality sees of an instance: its answers per type, its SRV target and port. */
export interface Addressing {
  readonly byType: ByType;
  readonly srv: SrvPlan;
  readonly port: number;
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
  /** The same, from the node's `wan` tagged addresses (`translate_wan_addrs`). */
  readonly wanByType: ByType;
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
    const port = typeof s['Port'] === 'number' && s['Port'] >= 0 && s['Port'] <= 65535 ? s['Port'] : 0;
    const lan = addressing(s, n, node, port, false);
    const instance: Instance = {
      node: node.name,
      address,
      family: isIP(address) as 0 | 4 | 6,
      // Consul's SRV target is `.addr` only when the service address differs from the node's.
      ownAddress: serviceAddress !== '' && serviceAddress !== node.address,
      port,
      tags: Array.isArray(s['Tags']) ? s['Tags'].filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase()) : [],
      weight: status === 'warning' ? weightOf(weights['Warning']) : weightOf(weights['Passing']),
      datacenter: node.datacenter,
      byType: lan.byType,
      srv: lan.srv,
      service: str(s['Service']),
      namespace: str(s['Namespace']).toLowerCase(),
      wan: addressing(s, n, node, port, true),
    };
    instances.push(instance);
    nodes.set(node.name.toLowerCase(), node);
    prints.push(`${instance.node}|${instance.address}|${instance.port}|${instance.tags.join(',')}|${instance.weight}|${instance.datacenter}|${metaPrint(node.meta)}|${printAddressing(lan)}|${printAddressing(instance.wan)}|${instance.service}|${instance.namespace}`);
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
  const fingerprint = [...nodes.values()].map((n) => `${n.name}|${n.address}|${n.datacenter}|${printByType(n.byType)}|${printByType(n.wanByType)}`).sort().join('\n');
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
    fingerprint: `${node.name}|${node.address}|${node.datacenter}|${metaPrint(node.meta)}|${printByType(node.byType)}|${printByType(node.wanByType)}`,
  };
}

function nodeInfo(n: Json, defaultDc: string): NodeInfo | undefined {
  const name = str(n['Node']);
  const address = str(n['Address']);
  if (name === '' || !isDnsName(name)) return undefined;
  const meta: Record<string, string> = {};
  if (isObject(n['Meta'])) for (const [k, v] of Object.entries(n['Meta'])) if (typeof v === 'string') meta[k] = v;
  const dc = str(n['Datacenter']).toLowerCase();
  const byType = translate(nodeTagged(n, address, false));
  const wanByType = translate(nodeTagged(n, address, true));
  return { name, address, family: isIP(address) as 0 | 4 | 6, datacenter: dc === '' ? defaultDc : dc, meta, byType, wanByType };
}

/** The plain address and the v4 / v6 tagged ones ('' when untagged) that Consul chooses from. */
interface Tagged { readonly plain: string; readonly v4: string; readonly v6: string }

/**
 * Consul's TranslateAddress for a node: its `Address` and `lan_ipv4`/`lan_ipv6` tags; for a
 * client in another datacenter (`wan`), each replaced by the `wan`/`wan_ipv4`/`wan_ipv6` tag that
 * is there.
 */
function nodeTagged(n: Json, address: string, wan: boolean): Tagged {
  const tagged = isObject(n['TaggedAddresses']) ? n['TaggedAddresses'] : {};
  const has = (k: string): boolean => typeof tagged[k] === 'string';
  let t = { plain: address, v4: str(tagged['lan_ipv4']), v6: str(tagged['lan_ipv6']) };
  if (wan) t = { plain: has('wan') ? str(tagged['wan']) : t.plain, v4: has('wan_ipv4') ? str(tagged['wan_ipv4']) : t.v4, v6: has('wan_ipv6') ? str(tagged['wan_ipv6']) : t.v6 };
  return t;
}

/** TranslateServiceAddress: the same rule on the service's `Address` and its tagged addresses (`{Address, Port}`). */
function serviceTagged(s: Json, wan: boolean): Tagged {
  const tagged = isObject(s['TaggedAddresses']) ? s['TaggedAddresses'] : {};
  const at = (k: string): string | undefined => { const v = tagged[k]; return isObject(v) ? str(v['Address']) : undefined; };
  let t = { plain: str(s['Address']), v4: at('lan_ipv4') ?? '', v6: at('lan_ipv6') ?? '' };
  if (wan) t = { plain: at('wan') ?? t.plain, v4: at('wan_ipv4') ?? t.v4, v6: at('wan_ipv6') ?? t.v6 };
  return t;
}

/** Consul's choice per query type: the tagged address of the family asked for, else the plain one (ANY: v6, v4, plain). */
function translate(t: Tagged): ByType {
  return { a: t.v4 || t.plain, aaaa: t.v6 || t.plain, any: t.v6 || t.v4 || t.plain };
}

/**
 * What a client sees of one instance, for its own datacenter (`wan` false) or another one: A, AAAA
 * and ANY take the service's translated address when it has one, else the node's; SRV as
 * `SrvPlan` says; the port is the service's, or the `wan` tagged address's port when translated
 * and set (Consul's TranslateServicePort).
 */
function addressing(s: Json, n: Json, node: NodeInfo, port: number, wan: boolean): Addressing {
  const own = translate(serviceTagged(s, wan));
  const host = wan ? node.wanByType : node.byType;
  const byType = { a: own.a || host.a, aaaa: own.aaaa || host.aaaa, any: own.any || host.any };
  const svc = own.any;
  const nodeAny = host.any;
  let srv: SrvPlan;
  if (svc === '' && nodeAny === '') srv = { target: 'none' };
  else if (svc === '') srv = isIP(nodeAny) !== 0 ? { target: 'node', ip: nodeAny, family: isIP(nodeAny) as 4 | 6 } : { target: 'host', host: nodeAny };
  else if (isIP(svc) !== 0) srv = { target: svc === str(n['Address']) ? 'service' : 'addr', ip: svc, family: isIP(svc) as 4 | 6 };
  else srv = { target: 'host', host: svc };
  let wanPort = port;
  if (wan) {
    const tagged = isObject(s['TaggedAddresses']) ? s['TaggedAddresses'] : {};
    const w = tagged['wan'];
    if (isObject(w) && typeof w['Port'] === 'number' && w['Port'] > 0 && w['Port'] <= 65535) wanPort = w['Port'];
  }
  return { byType, srv, port: wanPort };
}

function printByType(b: ByType): string {
  return `${b.a},${b.aaaa},${b.any}`;
}

function printAddressing(a: Addressing): string {
  const srv = a.srv.target === 'host' ? `host:${a.srv.host}` : a.srv.target === 'none' ? 'none' : `${a.srv.target}:${a.srv.ip}`;
  return `${printByType(a.byType)}|${srv}|${a.port}`;
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
