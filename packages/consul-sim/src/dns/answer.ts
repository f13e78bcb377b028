// The sections of an in-domain answer, before EDNS and trimming (notes §1).
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import { canReadNodes, canReadService, type Grant } from '../acl.js';
import type { Counters } from '../counters.js';
import { dnsHealthy, hasTags, matchesQueryTags } from '../filters.js';
import type { SimConfig } from '../options.js';
import { shuffled } from '../shuffle.js';
import type { Catalog, Instance, NodeEntry } from '../state.js';
import type { Lookup } from './names.js';
import { instanceAddressFor, nodeAddressFor, serviceAddressFor } from './tagged.js';
import { addrFqdn, addressFits, addressRecord, metaTxt, nameservers, nodeFqdn, soaRecord } from './records.js';
import { serviceTtl } from './ttl.js';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'NOTIMP' | 'REFUSED' | 'FORMERR';
export interface Sections { rcode: Rcode; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }

export interface AnswerContext {
  readonly cfg: SimConfig;
  readonly catalog: Catalog;
  readonly counters: Counters;
  readonly random: () => number;
  readonly grant: Grant;
  /** True when the RPC a lookup needs would fail now (no servers, no leader past max_stale, rate limit). */
  readonly rpcFails: () => boolean;
  readonly servers: () => NodeEntry[];
}

/** `owner` is the question name as the answer spells it; `domain` the one the question used. */
export function answer(owner: string, qtype: string, lookup: Lookup, domain: string, ctx: AnswerContext): Sections {
  if (qtype === 'AXFR') return { ...empty(), rcode: 'NOTIMP' };
  // Consul answers SOA and NS for any in-domain name before looking at the labels.
  if (qtype === 'SOA' || qtype === 'NS') return apex(qtype, domain, ctx);
  switch (lookup.kind) {
    case 'service': return service(owner, qtype, lookup.service, lookup.tag, domain, ctx, lookup.connect === true ? 'connect' : lookup.ingress === true ? 'ingress' : 'service');
    case 'node': return node(owner, qtype, lookup.node, domain, ctx);
    case 'addr': return addr(owner, qtype, lookup.ip, domain, ctx);
    case 'query': return query(owner, qtype, lookup.query, domain, ctx);
    case 'virtual': return virtual(owner, qtype, lookup.service, domain, ctx);
    case 'ptr': return ptr(owner, lookup.ip, domain, ctx);
    case 'apex': case 'nxdomain': return negative('NXDOMAIN', domain, ctx.cfg);
  }
}

function apex(qtype: 'SOA' | 'NS', domain: string, ctx: AnswerContext): Sections {
  const { ns, glue } = nameservers(ctx.servers(), ctx.cfg, domain);
  if (qtype === 'NS') return { rcode: 'NOERROR', answers: ns, authorities: [], additionals: glue };
  return { rcode: 'NOERROR', answers: [soaRecord(ctx.cfg, domain)], authorities: ns, additionals: glue };
}

function service(owner: string, qtype: string, name: string, tag: string | undefined, domain: string, ctx: AnswerContext, kind: 'service' | 'connect' | 'ingress' = 'service'): Sections {
  if (!ctx.cfg.useCache) ctx.counters.rpc_health_service_nodes++; // Health.ServiceNodes, one per lookup
  if (!ctx.cfg.useCache && ctx.rpcFails()) return { ...empty(), rcode: 'SERVFAIL' };
  const all = !canReadService(ctx.grant, name) ? []
    : kind === 'connect' ? ctx.catalog.connectInstances(name) : kind === 'ingress' ? ctx.catalog.ingressInstances(name) : ctx.catalog.instances(name);
  const healthy = all.filter((i) => ctx.catalog.inScope(i, LOCAL) && (tag === undefined || hasTags(i, [tag])) && dnsHealthy(i, ctx.cfg.onlyPassing));
  return instances(owner, qtype, healthy, serviceTtl(name, ctx.cfg), domain, ctx);
}

function query(owner: string, qtype: string, name: string, domain: string, ctx: AnswerContext): Sections {
  ctx.counters.rpc_prepared_query_execute++;
  if (ctx.rpcFails()) return { ...empty(), rcode: 'SERVFAIL' };
  const q = ctx.catalog.preparedQuery(name);
  if (q === undefined || !canReadService(ctx.grant, q.service)) return negative('NXDOMAIN', domain, ctx.cfg);
  // The query's own OnlyPassing applies, not dns_config.only_passing.
  const found = ctx.catalog.instances(q.service).filter((i) => ctx.catalog.inScope(i, LOCAL) && matchesQueryTags(i, q.tags) && dnsHealthy(i, q.onlyPassing));
  return instances(owner, qtype, found, q.ttl ?? serviceTtl(q.service, ctx.cfg), domain, ctx);
}

/** Shuffle, then A/AAAA (deduplicated, a_record_limit) or SRV with glue and node-meta TXT. */
/** What the DNS interface reads: the agent's datacenter, the default namespace and partition. */
const LOCAL = { dc: undefined, ns: 'default', ap: 'default' } as const;

function instances(owner: string, qtype: string, found: Instance[], ttl: number, domain: string, ctx: AnswerContext): Sections {
  if (found.length === 0) return negative('NXDOMAIN', domain, ctx.cfg); // nothing healthy is NXDOMAIN, not NODATA
  const order = shuffled(found, ctx.random);
  const out = empty();
  if (qtype === 'A' || qtype === 'AAAA' || qtype === 'ANY') {
    const seen = new Set<string>();
    for (const i of order) {
      const address = instanceAddressFor(i, qtype);
      if (!addressFits(address, qtype) || seen.has(address)) continue;
      if (ctx.cfg.aRecordLimit > 0 && out.answers.length >= ctx.cfg.aRecordLimit) break;
      seen.add(address);
      out.answers.push(addressRecord(owner, address, ttl));
    }
  } else if (qtype === 'SRV') {
    for (const i of order) srv(owner, i, ttl, domain, ctx, out);
  }
  return out.answers.length === 0 ? negative('NOERROR', domain, ctx.cfg) : out;
}

/**
 * SRV as Consul: the service's and node's addresses are taken for any family (tagged lan_ipv6,
 * then lan_ipv4, then the plain one). No service address: the node target with the node's address
 * as glue. A service IP that differs from the node's `Address`: `HEX.addr.DC` with it as glue; one
 * equal to it: `NAME.service.DC` with it as glue in v2 (Consul 1.19+), the node target in v1. A
 * host name: the target itself, no glue.
 */
function srv(owner: string, i: Instance, ttl: number, domain: string, ctx: AnswerContext, out: Sections): void {
  const { cfg } = ctx;
  const nodeName = nodeFqdn(i.node.name, cfg, domain);
  const own = serviceAddressFor(i, 'ANY');
  let target = nodeName;
  let glue: Answer | undefined = addressRecord(nodeName, nodeAddressFor(i.node, 'ANY'), ttl);
  if (own !== '' && isIP(own) !== 0 && own !== i.node.address) {
    target = addrFqdn(own, cfg, domain);
    glue = addressRecord(target, own, ttl);
  } else if (own !== '' && isIP(own) !== 0 && cfg.variant === 'v2') {
    target = `${i.service.name}.service.${cfg.datacenter}.${domain}`;
    glue = addressRecord(target, own, ttl);
  } else if (own !== '' && isIP(own) === 0) {
    target = own; // a hostname: the target itself, no glue
    glue = undefined;
  }
  const weight = i.status === 'warning' ? i.service.weights.Warning : i.service.weights.Passing;
  out.answers.push({ name: owner, type: 'SRV', class: 'IN', ttl, data: { priority: 1, weight, port: i.service.port, target } });
  if (glue !== undefined) out.additionals.push(glue);
  if (cfg.nodeMetaTxt) out.additionals.push(...metaTxt(nodeName, i.node, cfg, ttl));
}

function node(owner: string, qtype: string, name: string, domain: string, ctx: AnswerContext): Sections {
  const { cfg } = ctx;
  if (!cfg.useCache) ctx.counters.rpc_catalog_node_services++;
  if (!cfg.useCache && ctx.rpcFails()) return { ...empty(), rcode: 'SERVFAIL' };
  const n = ctx.catalog.node(name);
  if (n === undefined || !canReadNodes(ctx.grant)) return negative('NXDOMAIN', domain, cfg);
  const out = empty();
  const ttl = cfg.nodeTtl;
  const address = nodeAddressFor(n, qtype);
  if ((qtype === 'A' || qtype === 'AAAA' || qtype === 'ANY') && addressFits(address, qtype)) {
    out.answers.push(addressRecord(owner, address, ttl));
  }
  if (qtype === 'TXT' || qtype === 'ANY') out.answers.push(...metaTxt(owner, n, cfg, ttl));
  else if (out.answers.length > 0 && cfg.nodeMetaTxt) out.additionals.push(...metaTxt(owner, n, cfg, ttl));
  return out.answers.length === 0 ? negative('NOERROR', domain, cfg) : out;
}

/**
 * PTR (Catalog.ListNodes, then the services): a node with the address gives
 * `NODE.node.DC.DOMAIN`, else a service instance registered with it gives `NAME.service.DOMAIN`;
 * TTL 0, hard-coded in Consul (#10577). Answered whatever the question type, as Consul's v2 does.
 */
function ptr(owner: string, ip: string, domain: string, ctx: AnswerContext): Sections {
  if (ctx.rpcFails()) return { ...empty(), rcode: 'SERVFAIL' };
  const same = (a: string): boolean => isIP(a) !== 0 && normalIp(a) === normalIp(ip);
  const readable = canReadNodes(ctx.grant);
  const nodes = readable ? ctx.catalog.nodes().filter((n) => same(n.address)) : [];
  const record = (target: string): Answer => ({ name: owner, type: 'PTR', class: 'IN', ttl: 0, data: target });
  if (nodes.length > 0) return { ...empty(), answers: nodes.map((n) => record(nodeFqdn(n.name, ctx.cfg, domain))) };
  const names = new Set<string>();
  for (const n of readable ? ctx.catalog.nodes() : []) {
    for (const s of ctx.catalog.servicesOn(n.name)) if (s.address !== '' && same(s.address) && canReadService(ctx.grant, s.name)) names.add(s.name);
  }
  if (names.size === 0) return negative('NXDOMAIN', domain, ctx.cfg);
  return { ...empty(), answers: [...names].map((name) => record(`${name}.service.${domain}`)) };
}

/** One spelling per address (IPv6 groups without leading zeros, lower case). */
function normalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return all.map((g) => parseInt(g, 16).toString(16)).join(':');
}

function addr(owner: string, qtype: string, ip: string, domain: string, ctx: AnswerContext): Sections {
  if (!addressFits(ip, qtype) || !['A', 'AAAA', 'ANY'].includes(qtype)) return negative('NOERROR', domain, ctx.cfg);
  return { rcode: 'NOERROR', answers: [addressRecord(owner, ip, ctx.cfg.nodeTtl)], authorities: [], additionals: [] };
}

/** NXDOMAIN, or NODATA (NOERROR, empty answer); both carry the SOA in Authority. */
export function negative(rcode: 'NXDOMAIN' | 'NOERROR', domain: string, cfg: SimConfig): Sections {
  return { rcode, answers: [], authorities: [soaRecord(cfg, domain)], additionals: [] };
}

function empty(): Sections { return { rcode: 'NOERROR', answers: [], authorities: [], additionals: [] }; }

/**
 * `NAME.virtual`: the service's virtual IP (Catalog.VirtualIPForService), an A record with the
 * node TTL for A and ANY; NODATA for other types; NXDOMAIN when the service has none.
 */
function virtual(owner: string, qtype: string, name: string, domain: string, ctx: AnswerContext): Sections {
  if (ctx.rpcFails()) return { ...empty(), rcode: 'SERVFAIL' };
  const ip = canReadService(ctx.grant, name) ? ctx.catalog.virtualIp(name) : undefined;
  if (ip === undefined) return negative('NXDOMAIN', domain, ctx.cfg);
  if (qtype !== 'A' && qtype !== 'ANY') return negative('NOERROR', domain, ctx.cfg);
  return { ...empty(), answers: [addressRecord(owner, ip, ctx.cfg.nodeTtl)] };
}
