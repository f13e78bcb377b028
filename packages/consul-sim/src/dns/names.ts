// From a question name to what it asks for (notes §1, "Names"): the rightmost kind label splits the
// name parts (left) from the locality (right).
import type { SimConfig } from '../options.js';

export type Lookup =
  | { kind: 'apex' }
  | { kind: 'service'; service: string; tag: string | undefined; connect?: boolean; ingress?: boolean }
  | { kind: 'node'; node: string }
  | { kind: 'addr'; ip: string; family: 4 | 6 }
  | { kind: 'query'; query: string }
  | { kind: 'virtual'; service: string }
  | { kind: 'ptr'; ip: string }
  | { kind: 'nxdomain'; why: string };

/** `domain` is the configured domain the question used (main or alt), for names in the answer. */
export interface ParsedName { readonly domain: string; readonly lookup: Lookup }

const KINDS = new Set(['service', 'connect', 'virtual', 'ingress', 'node', 'query', 'addr']);
const nx = (why: string): Lookup => ({ kind: 'nxdomain', why });

/** undefined when the name is in neither domain. */
export function parseName(qname: string, qtype: string, cfg: SimConfig): ParsedName | undefined {
  const labels = qname.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const lowered = labels.map((l) => l.toLowerCase());
  // Reverse lookups are Consul's too; the answer names use the primary domain.
  const reverse = reverseIp(lowered);
  if (reverse !== undefined) return { domain: cfg.domain, lookup: reverse };
  for (const domain of cfg.altDomain === undefined ? [cfg.domain] : [cfg.domain, cfg.altDomain]) {
    const dl = domain.split('.');
    if (lowered.length < dl.length || lowered.slice(lowered.length - dl.length).join('.') !== domain) continue;
    const rest = labels.slice(0, labels.length - dl.length);
    return { domain, lookup: rest.length === 0 ? { kind: 'apex' } : lookupOf(rest, qtype, cfg) };
  }
  return undefined;
}

function lookupOf(labels: string[], qtype: string, cfg: SimConfig): Lookup {
  const lowered = labels.map((l) => l.toLowerCase());
  let k = -1;
  for (let i = lowered.length - 1; i >= 0; i--) if (KINDS.has(lowered[i]!)) { k = i; break; }
  if (k < 0) {
    // `_svc._tag[.dc].consul`: the .service label may be left out, but only for SRV.
    if (qtype === 'SRV' && labels.length >= 2 && isUnderscored(labels[0]!) && isUnderscored(labels[1]!)) {
      return withLocality(labels.slice(2), cfg, rfc2782(labels[0]!, labels[1]!));
    }
    return nx('no query kind label');
  }
  const parts = labels.slice(0, k);
  const lookup = kindLookup(lowered[k]!, parts, cfg);
  // Consul answers `.addr` from the name alone: the datacenter part is ignored, known or not.
  if (lookup.kind === 'addr') return lookup;
  // NAME.virtual.PEER: the label after `virtual` names a peer, and the simulator has none.
  if (lookup.kind === 'virtual' && labels.length > k + 1) return nx(`unknown peer ${labels[k + 1]}`);
  return withLocality(labels.slice(k + 1), cfg, lookup);
}

function kindLookup(kind: string, parts: string[], cfg: SimConfig): Lookup {
  if (parts.length === 0) return nx(`empty ${kind} name`);
  switch (kind) {
    case 'service': {
      if (parts.length === 2 && isUnderscored(parts[0]!) && isUnderscored(parts[1]!)) return rfc2782(parts[0]!, parts[1]!);
      const service = parts[parts.length - 1]!;
      if (parts.length === 1) return { kind: 'service', service, tag: undefined };
      // v1 joins surplus labels into one dotted tag; v2 (after #21361) rejects them.
      if (cfg.variant === 'v1') return { kind: 'service', service, tag: parts.slice(0, -1).join('.') };
      return parts.length === 2 ? { kind: 'service', service, tag: parts[0] } : nx('too many labels for a tag lookup');
    }
    case 'node': return { kind: 'node', node: parts.join('.') };
    case 'addr': return parts.length === 1 ? addrLookup(parts[0]!) : nx('bad addr name');
    case 'connect':
      // NAME.connect: the service's Connect endpoints (no tag form).
      return parts.length === 1 ? { kind: 'service', service: parts[0]!, tag: undefined, connect: true } : nx('bad connect name');
    case 'ingress':
      // NAME.ingress: the ingress gateways that expose the service.
      return parts.length === 1 ? { kind: 'service', service: parts[0]!, tag: undefined, ingress: true } : nx('bad ingress name');
    case 'query':
      if (parts.length === 1) return { kind: 'query', query: parts[0]! };
      return parts.length === 2 && isUnderscored(parts[0]!) ? { kind: 'query', query: parts[0]!.slice(1) } : nx('bad query name');
    case 'virtual':
      // NAME.virtual: the virtual IP Consul gave the service in the mesh (a peer may follow).
      return parts.length === 1 ? { kind: 'virtual', service: parts[0]! } : nx('bad virtual name');
    default: return nx(`${kind} lookups need the service mesh, which the simulator does not model`);
  }
}

function rfc2782(svc: string, tag: string): Lookup {
  const t = tag.slice(1);
  return { kind: 'service', service: svc.slice(1), tag: t.toLowerCase() === 'tcp' ? undefined : t };
}

/** 8 hex digits are an IPv4 address, 32 an IPv6 one. */
function addrLookup(hex: string): Lookup {
  if (!/^[0-9a-f]+$/i.test(hex)) return nx('addr is not hex');
  if (hex.length === 8) return { kind: 'addr', ip: (hex.match(/../g) ?? []).map((b) => parseInt(b, 16)).join('.'), family: 4 };
  if (hex.length === 32) return { kind: 'addr', ip: (hex.match(/.{4}/g) ?? []).map((g) => g.toLowerCase()).join(':'), family: 6 };
  return nx('addr needs 8 or 32 hex digits');
}

/** `<dc>`, or pairs like `<dc>.dc`, `<peer>.peer`, `<ns>.ns`, `<ap>.ap`, `<sg>.sg`; CE has one dc and no peers. */
function withLocality(labels: string[], cfg: SimConfig, lookup: Lookup): Lookup {
  if (lookup.kind === 'nxdomain' || labels.length === 0) return lookup;
  const l = labels.map((x) => x.toLowerCase());
  if (l.length === 1) return l[0] === cfg.datacenter ? lookup : nx(`unknown datacenter ${l[0]}`);
  if (l.length % 2 !== 0) return nx('bad locality');
  const seen = new Map<string, string>();
  for (let i = 0; i < l.length; i += 2) seen.set(l[i + 1]!, l[i]!);
  for (const [key, value] of seen) {
    if (key === 'dc' && value !== cfg.datacenter) return nx(`unknown datacenter ${value}`);
    if ((key === 'ns' || key === 'ap') && value !== 'default') return nx(`${key} ${value} needs Enterprise`);
    if (key === 'peer' || key === 'sg') return nx(`unknown ${key} ${value}`);
    if (!['dc', 'ns', 'ap'].includes(key)) return nx(`bad locality label ${key}`);
  }
  return lookup;
}

/** `d.c.b.a.in-addr.arpa` or 32 nibbles `.ip6.arpa`: a PTR lookup; any other arpa name is NXDOMAIN. */
function reverseIp(l: string[]): Lookup | undefined {
  const n = l.length;
  if (n >= 2 && l[n - 2] === 'in-addr' && l[n - 1] === 'arpa') {
    const octets = l.slice(0, n - 2).reverse();
    if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return nx('not a full IPv4 reverse name');
    return { kind: 'ptr', ip: octets.map(Number).join('.') };
  }
  if (n >= 2 && l[n - 2] === 'ip6' && l[n - 1] === 'arpa') {
    const nibbles = l.slice(0, n - 2).reverse();
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return nx('not a full IPv6 reverse name');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(String(parseInt(nibbles.slice(i, i + 4).join(''), 16).toString(16)));
    return { kind: 'ptr', ip: groups.join(':') };
  }
  return undefined;
}

function isUnderscored(label: string): boolean { return label.startsWith('_') && label.length > 1; }

/** The `.addr` label of an IP, as SRV targets use it. */
export function addrLabel(ip: string): string {
  if (ip.includes(':')) return expandV6(ip).map((g) => g.padStart(4, '0')).join('');
  return ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join('');
}

function expandV6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  return tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
}
