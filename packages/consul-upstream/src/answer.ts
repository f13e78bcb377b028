import { isIP } from 'node:net';
import { Rcode, RRType, type DnsMessage, type Ttl } from '@dnsmesh/core';
import { addrLabel } from './names.js';
import { isDnsName, type Addressing, type Instance, type NodeInfo } from './view.js';
import { ReplyWriter } from './writer.js';

/** What every reply of one query shares. */
export interface ReplyScope {
  readonly request: DnsMessage;
  /** The plugin zone the question is in (canonical): SOA owner and the domain of SRV targets. */
  readonly zone: string;
  readonly ttl: Ttl;
  /** The SOA TTL and MINIMUM of negative answers, when it differs from `ttl` (service_ttl, node_ttl). */
  readonly negativeTtl?: Ttl;
  /** Consul's `soa.min_ttl`: the TTL and MINIMUM of every SOA record, over the two above. */
  readonly soaTtl?: Ttl;
  /** Node meta as TXT in the additional section of SRV and node A/AAAA answers (Consul's default). */
  readonly nodeMetaTxt?: boolean;
  /** Consul's `a_record_limit`: at most this many address records per A/AAAA/ANY answer (0: no limit). */
  readonly aRecordLimit?: number;
  /** Consul's `translate_wan_addrs`: whether data of this datacenter is answered with its `wan` addresses. */
  readonly wanFor?: (datacenter: string) => boolean;
}

/** What the client of `scope` sees of an instance: its LAN addressing, or its WAN one for another datacenter. */
function addressingFor(scope: ReplyScope, i: Instance): Addressing {
  return scope.wanFor?.(i.datacenter) === true ? i.wan : i;
}

/**
 * The reply for a service name, from its healthy instances (already filtered by tag), shuffled on
 * every reply so load spreads even when a cache in front holds one order per TTL:
 * A/AAAA (ANY: both) one record per distinct address; SRV one record per instance, priority 1, the
 * instance's weight, target `NODE.node.DC.ZONE.` (or `HEX.addr.DC.ZONE.` for an instance with its
 * own address, as Consul), A/AAAA glue in additional. No instance: NXDOMAIN (as Consul);
 * instances but no record of the type: NODATA. Both carry the SOA.
 */
export function serviceReply(scope: ReplyScope, qtype: number, instances: readonly Instance[], nodes?: ReadonlyMap<string, NodeInfo>): DnsMessage {
  if (instances.length === 0) return negativeReply(scope, Rcode.NXDOMAIN);
  const owner = scope.request.question!.lname;
  const { ttl } = scope;
  const list = shuffled(instances);
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  let n = 0;
  if (qtype === RRType.A || qtype === RRType.AAAA || qtype === RRType.ANY) {
    const seen = new Set<string>();
    const limit = scope.aRecordLimit ?? 0;
    for (const i of list) {
      if (limit > 0 && n >= limit) break;                            // after the shuffle, as Consul
      // The tagged lan_ipv4 / lan_ipv6 address for A / AAAA when there is one (Consul's rule).
      const { byType } = addressingFor(scope, i);
      const address = qtype === RRType.A ? byType.a : qtype === RRType.AAAA ? byType.aaaa : byType.any;
      if (seen.has(address)) continue;
      const family = isIP(address);
      if (family === 4 && qtype !== RRType.AAAA) { w.a(owner, ttl, address); n++; }
      else if (family === 6 && qtype !== RRType.A) { w.aaaa(owner, ttl, address); n++; }
      // An instance registered with a host name: a CNAME to it, for A, AAAA and ANY alike, as
      // Consul answers (one per distinct host name; Consul resolves it only through its recursors).
      else if (family === 0 && address !== '' && isDnsName(address)) { w.nameRecord(owner, RRType.CNAME as 5, ttl, address); n++; }
      else continue;
      seen.add(address);
    }
  } else if (qtype === RRType.SRV) {
    const glue: { target: string; ip: string; family: 4 | 6 }[] = [];
    const glued = new Set<string>();
    const records = new Set<string>();
    for (const i of list) {
      const ad = addressingFor(scope, i);
      const target = srvTarget(i, ad, scope.zone);
      if (target === undefined) continue;
      const key = `${target.toLowerCase()}|${ad.port}|${i.weight}`;
      if (records.has(key)) continue;
      records.add(key);
      w.srv(owner, ttl, 1, i.weight, ad.port, target);
      n++;
      // One glue record per target and address (a `NAME.service` target has one per instance).
      if (ad.srv.target !== 'host' && ad.srv.target !== 'none' && !glued.has(`${target.toLowerCase()}|${ad.srv.ip}`)) {
        glued.add(`${target.toLowerCase()}|${ad.srv.ip}`);
        glue.push({ target, ip: ad.srv.ip, family: ad.srv.family });
      }
    }
    w.section(2);
    for (const g of glue) {
      if (g.family === 4) w.a(g.target, ttl, g.ip);
      else w.aaaa(g.target, ttl, g.ip);
    }
    // Consul's enable_additional_node_meta_txt: each node's meta as TXT, owned by the node's name
    // (also for an instance whose target is its own .addr name).
    if (scope.nodeMetaTxt === true && nodes !== undefined) {
      const done = new Set<string>();
      for (const i of list) {
        const key = i.node.toLowerCase();
        if (done.has(key)) continue;
        done.add(key);
        const node = nodes.get(key);
        if (node !== undefined) metaTxt(w, `${node.name}.node.${node.datacenter}.${scope.zone === '.' ? '' : scope.zone}`, ttl, node);
      }
    }
  }
  if (n === 0) return negativeReply(scope, Rcode.NOERROR);
  return w.finish();
}

/** One PTR record owned by the question name. */
export function ptrReply(scope: ReplyScope, target: string): DnsMessage {
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  w.nameRecord(scope.request.question!.lname, RRType.PTR as 12, scope.ttl, target);
  return w.finish();
}

/** `NODE.node[.DC].ZONE`: A/AAAA of its address, TXT of its meta (RFC 1464 `key=value`), ANY both; unknown: NXDOMAIN. */
export function nodeReply(scope: ReplyScope, qtype: number, node: NodeInfo | undefined): DnsMessage {
  if (node === undefined) return negativeReply(scope, Rcode.NXDOMAIN);
  const owner = scope.request.question!.lname;
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  let n = 0;
  const any = qtype === RRType.ANY;
  // The tagged lan_ipv4 / lan_ipv6 address for A / AAAA when there is one (Consul's rule), or
  // the wan ones for a client in another datacenter (translate_wan_addrs).
  const byType = scope.wanFor?.(node.datacenter) === true ? node.wanByType : node.byType;
  const address = qtype === RRType.A ? byType.a : qtype === RRType.AAAA ? byType.aaaa : byType.any;
  const family = isIP(address);
  if (family === 4 && (qtype === RRType.A || any)) { w.a(owner, scope.ttl, address); n++; }
  if (family === 6 && (qtype === RRType.AAAA || any)) { w.aaaa(owner, scope.ttl, address); n++; }
  if (qtype === RRType.TXT || any) {
    n += metaTxt(w, owner, scope.ttl, node);
  } else if (n > 0 && scope.nodeMetaTxt === true) {
    metaTxt(w.section(2), owner, scope.ttl, node);                    // as Consul: the meta beside the address
  }
  if (n === 0) return negativeReply(scope, Rcode.NOERROR);
  return w.finish();
}

/** One TXT per meta key (RFC 1464 `key=value`; `rfc1035-` keys give the bare value); returns how many. */
function metaTxt(w: ReplyWriter, owner: string, ttl: Ttl, node: NodeInfo): number {
  let n = 0;
  for (const [k, v] of Object.entries(node.meta)) {
    w.txt(owner, ttl, [k.startsWith('rfc1035-') ? v : `${escapeKey(k)}=${v}`]);
    n++;
  }
  return n;
}

/** `HEX.addr[.DC].ZONE`: the address itself (answered here; Consul is not asked). */
export function addrReply(scope: ReplyScope, qtype: number, ip: string, family: 4 | 6): DnsMessage {
  const owner = scope.request.question!.lname;
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  if (family === 4 && (qtype === RRType.A || qtype === RRType.ANY)) return w.a(owner, scope.ttl, ip).finish();
  if (family === 6 && (qtype === RRType.AAAA || qtype === RRType.ANY)) return w.aaaa(owner, scope.ttl, ip).finish();
  return negativeReply(scope, Rcode.NOERROR);
}

/** The zone apex: its SOA for SOA (and ANY), NODATA for anything else. */
/**
 * SOA or NS for any name in the zone, as Consul answers them (its v2 server takes these types
 * before the name): NS records for up to 3 of the servers (the instances of the `consul` service,
 * shuffled) as `NODE.node.DC.ZONE.`, owned by the zone, with their addresses as glue; for SOA the
 * zone's SOA in the answer and the NS in authority. No server known: the SOA alone, or NODATA for NS.
 */
export function soaNsReply(scope: ReplyScope, qtype: number, servers: readonly Instance[], nsTtl: Ttl): DnsMessage {
  const picked: Instance[] = [];
  const seen = new Set<string>();
  for (const i of shuffled(servers)) {
    if (picked.length === 3) break;
    if (seen.has(i.node.toLowerCase()) || i.family === 0) continue;
    seen.add(i.node.toLowerCase());
    picked.push(i);
  }
  if (qtype === RRType.NS && picked.length === 0) return negativeReply(scope, Rcode.NOERROR);
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  if (qtype === RRType.SOA) w.soa(scope.zone, scope.soaTtl ?? scope.ttl, scope.soaTtl ?? scope.ttl).section(1);
  const apex = scope.zone === '.' ? '' : scope.zone;
  const names = picked.map((i) => `${i.node}.node.${i.datacenter}.${apex}`);
  names.forEach((n) => w.nameRecord(scope.zone, RRType.NS as 2, nsTtl, n));
  w.section(2);
  picked.forEach((i, k) => { if (i.family === 4) w.a(names[k]!, nsTtl, i.address); else w.aaaa(names[k]!, nsTtl, i.address); });
  return w.finish();
}

export function apexReply(scope: ReplyScope, qtype: number): DnsMessage {
  if (qtype !== RRType.SOA && qtype !== RRType.ANY) return negativeReply(scope, Rcode.NOERROR);
  const soaTtl = scope.soaTtl ?? scope.ttl;
  return new ReplyWriter(scope.request, Rcode.NOERROR).soa(scope.zone, soaTtl, soaTtl).finish();
}

/**
 * NXDOMAIN or NODATA (NOERROR, no answer), authoritative, with the zone's SOA in authority: TTL
 * and MINIMUM are `soa_min_ttl`, else the plugin's `ttl`, so a cache in front keeps the denial that
 * long (RFC 2308).
 */
export function negativeReply(scope: ReplyScope, rcode: number): DnsMessage {
  const ttl = scope.soaTtl ?? scope.negativeTtl ?? scope.ttl;
  return new ReplyWriter(scope.request, rcode).section(1).soa(scope.zone, ttl, ttl).finish();
}

/**
 * Consul's SRV target for an instance as the client sees it (`ad`), per its 1.19+ DNS server:
 * `NODE.node.DC.ZONE` without a service address, `HEX.addr.DC.ZONE` for a service address that
 * differs from the node's, `NAME.service[.NS].DC.ZONE` for one equal to it (NS when Consul names a
 * namespace other than `default`), the host name for a host name; undefined: no address at all.
 */
export function srvTarget(i: Instance, ad: Addressing, zone: string): string | undefined {
  const domain = zone === '.' ? '' : zone;
  const srv = ad.srv;
  switch (srv.target) {
    case 'none': return undefined;
    case 'host': return isDnsName(srv.host) ? (srv.host.endsWith('.') ? srv.host : `${srv.host}.`) : undefined;
    case 'node': return `${i.node}.node.${i.datacenter}.${domain}`;
    case 'addr': return `${addrLabel(srv.ip, srv.family)}.addr.${i.datacenter}.${domain}`;
    case 'service': {
      const ns = i.namespace !== '' && i.namespace !== 'default' ? `${i.namespace}.` : '';
      return `${i.service || i.node}.service.${ns}${i.datacenter}.${domain}`;
    }
  }
}

/** A copy in random order (Fisher-Yates; Math.random is xorshift128+, cheap enough per reply). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** RFC 1464: `=` and backquote in a key are escaped with a backquote. */
function escapeKey(key: string): string {
  return key.replace(/[`=]/g, (c) => `\`${c}`);
}

/** `NAME.virtual`: the service's virtual IP for A (and ANY), NODATA for other types; none: NXDOMAIN (as Consul). */
export function virtualReply(scope: ReplyScope, qtype: number, ip: string | undefined): DnsMessage {
  if (ip === undefined) return negativeReply(scope, Rcode.NXDOMAIN);
  if (qtype !== RRType.A && qtype !== RRType.ANY) return negativeReply(scope, Rcode.NOERROR);
  const w = new ReplyWriter(scope.request, Rcode.NOERROR);
  if (isIP(ip) === 4) w.a(scope.request.question!.lname, scope.ttl, ip);
  else w.aaaa(scope.request.question!.lname, scope.ttl, ip);
  return w.finish();
}
