// Resource records as Consul shapes them (notes §1): addresses, SRV, node-meta TXT, SOA and NS.
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import type { SimConfig } from '../options.js';
import type { NodeEntry } from '../state.js';
import { addrLabel } from './names.js';

/** A for IPv4, AAAA for IPv6, CNAME for a hostname (which the simulator never resolves further). */
export function addressRecord(name: string, address: string, ttl: number): Answer {
  const family = isIP(address);
  if (family === 4) return { name, type: 'A', class: 'IN', ttl, data: address };
  if (family === 6) return { name, type: 'AAAA', class: 'IN', ttl, data: address };
  return { name, type: 'CNAME', class: 'IN', ttl, data: address };
}

/** Does this address give a record for qtype? ANY takes both families. */
export function addressFits(address: string, qtype: string): boolean {
  const family = isIP(address);
  return qtype === 'ANY' || (qtype === 'A' && family !== 6) || (qtype === 'AAAA' && family !== 4);
}

export function nodeFqdn(node: string, cfg: SimConfig, domain: string): string {
  return `${node}.node.${cfg.datacenter}.${domain}`;
}
export function addrFqdn(ip: string, cfg: SimConfig, domain: string): string {
  return `${addrLabel(ip)}.addr.${cfg.datacenter}.${domain}`;
}

/** Every node carries these, which is why captures show "consul-network-segment=". */
export function nodeMeta(node: NodeEntry, cfg: SimConfig): Record<string, string> {
  return { 'consul-network-segment': '', 'consul-version': cfg.version, ...node.meta };
}

/** One TXT per meta key, RFC 1464 `key=value`; `rfc1035-` keys give the bare value. */
export function metaTxt(owner: string, node: NodeEntry, cfg: SimConfig, ttl: number): Answer[] {
  return Object.entries(nodeMeta(node, cfg)).map(([k, v]) => ({
    name: owner, type: 'TXT', class: 'IN', ttl, data: k.startsWith('rfc1035-') ? v : `${rfc1464Key(k)}=${v}`,
  }));
}

/** Backquote escapes backquotes, `=`, and leading or trailing spaces in the key. */
function rfc1464Key(key: string): string {
  let k = key.replace(/`/g, '``').replace(/=/g, '`=');
  const lead = k.length - k.trimStart().length;
  const trail = k.length - k.trimEnd().length;
  k = k.trim();
  return '` '.repeat(lead) + k + '` '.repeat(trail);
}

export function soaRecord(cfg: SimConfig, domain: string): Answer {
  return {
    name: domain, type: 'SOA', class: 'IN', ttl: cfg.soa.minTtl,
    data: {
      mname: `ns.${domain}`, rname: `hostmaster.${domain}`, serial: Math.floor(Date.now() / 1000),
      refresh: cfg.soa.refresh, retry: cfg.soa.retry, expire: cfg.soa.expire, minimum: cfg.soa.minTtl,
    },
  };
}

/** NS for each server (the simulator is a one-server cluster) and the A glue for it. */
export function nameservers(servers: readonly NodeEntry[], cfg: SimConfig, domain: string): { ns: Answer[]; glue: Answer[] } {
  const ns: Answer[] = [];
  const glue: Answer[] = [];
  for (const s of servers.slice(0, 3)) {
    const fqdn = nodeFqdn(s.name, cfg, domain);
    ns.push({ name: domain, type: 'NS', class: 'IN', ttl: cfg.nodeTtl, data: fqdn });
    glue.push(addressRecord(fqdn, s.address, cfg.nodeTtl));
  }
  return { ns, glue };
}
