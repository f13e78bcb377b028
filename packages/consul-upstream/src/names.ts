/**
 * Consul's DNS names (notes §1), parsed from a lower-cased name below one of the plugin's zones:
 *
 *   NAME.service[LOC].ZONE               TAG.NAME.service[LOC].ZONE
 *   _NAME._TAG.service[LOC].ZONE         _NAME._TAG[LOC].ZONE (SRV only; _tcp means no tag)
 *   NODE.node[LOC].ZONE                  HEX.addr[LOC].ZONE (the locality is ignored)
 *   QUERY.query[LOC].ZONE                _QUERY._X.query[LOC].ZONE (prepared queries)
 *   NAME.connect[LOC].ZONE (Connect endpoints)       NAME.ingress[LOC].ZONE (ingress gateways)
 *
 * LOC, the labels right of the kind, is Consul's locality (agent/dns ParseLocality): nothing; one
 * label, a datacenter; or pairs `VALUE.KEY` with KEY one of `ns` (namespace), `ap` (admin
 * partition), `dc`, `peer` and `sg` (sameness group), each at most once, in any order, peer not
 * with dc. Anything else (an odd number of labels past one, an unknown or repeated key) is an
 * invalid question: NXDOMAIN, as Consul answers it. Namespaces and partitions are Consul
 * Enterprise's; a name without them means the plugin's `namespace` and `partition`. Nodes live in a
 * partition, not a namespace (an `ns` pair is ignored for them, as for prepared queries, which
 * are found by name). `NAME.virtual` is the service's virtual IP; `NAME.virtual.PEER`, peer and
 * sameness-group names are Consul names the plugin does not answer: they pass to the next plugin.
 * Anything else in the zone is invalid (NXDOMAIN). Surplus labels before a tag are invalid, as in
 * Consul 1.19's DNS server (the legacy one joined them into one dotted tag).
 */
export type ConsulName =
  | { readonly kind: 'apex' }
  | { readonly kind: 'service'; readonly service: string; readonly tag: string | undefined; readonly dc: string | undefined; readonly rfc2782: boolean; readonly connect?: boolean; readonly ingress?: boolean; readonly ns?: string; readonly ap?: string }
  | { readonly kind: 'node'; readonly node: string; readonly dc: string | undefined; readonly ap?: string }
  | { readonly kind: 'addr'; readonly ip: string; readonly family: 4 | 6; readonly dc: string | undefined }
  | { readonly kind: 'query'; readonly query: string; readonly dc: string | undefined }
  | { readonly kind: 'virtual'; readonly service: string }
  | { readonly kind: 'pass'; readonly what: string }
  | { readonly kind: 'invalid' };

const INVALID: ConsulName = { kind: 'invalid' };
const APEX: ConsulName = { kind: 'apex' };
/** Kinds this plugin answers. */
const ANSWERED = new Set(['service', 'node', 'addr', 'query', 'connect', 'ingress', 'virtual']);
/** Consul kinds it leaves to the next plugin (e.g. `forward` to the agent's DNS port). */
const PASSED = new Set(['workload']);
const SRV = 33;
/** The keys of Consul's locality pairs. */
const LOCALITY_KEYS = new Set(['dc', 'ns', 'ap', 'peer', 'sg']);

/** Consul's locality: the labels right of the kind. */
interface Locality { dc?: string; ns?: string; ap?: string; peer?: string; sg?: string }

/** `[]`, `[DC]`, or `VALUE.KEY` pairs (each key once, not peer with dc); undefined when invalid. */
function locality(labels: readonly string[]): Locality | undefined {
  if (labels.length === 0) return {};
  if (labels.length === 1) return { dc: labels[0]! };
  if (labels.length % 2 !== 0) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) {
    const key = labels[i + 1]!;
    if (!LOCALITY_KEYS.has(key) || key in out) return undefined;
    out[key] = labels[i]!;
  }
  if (out['dc'] !== undefined && out['peer'] !== undefined) return undefined;
  return out;
}

/**
 * `lname` and `zone` are canonical (lower case, trailing dot) and `lname` is in `zone`.
 * `qtype` matters only for the RFC 2782 form without `.service`, which Consul takes for SRV only.
 */
export function parseName(lname: string, zone: string, qtype: number): ConsulName {
  if (lname === zone) return APEX;
  const rest = zone === '.' ? lname.slice(0, -1) : lname.slice(0, lname.length - zone.length - 1);
  const labels = rest.split('.');
  if (labels.some((l) => l === '')) return INVALID;

  // The kind is the rightmost kind label (or, for SRV, the rightmost `_` label of the RFC 2782
  // form without `.service`); the labels right of it are the locality.
  let n = labels.length;
  while (n > 0 && !isKind(labels[n - 1]!) && !(qtype === SRV && labels[n - 1]!.startsWith('_'))) n--;
  if (n === 0) return INVALID;
  const loc = locality(labels.slice(n));
  if (loc === undefined) return INVALID;
  if (loc.peer !== undefined) return { kind: 'pass', what: 'peer' };
  if (loc.sg !== undefined) return { kind: 'pass', what: 'sg' };
  const dc = loc.dc;
  const space = { ...(loc.ns !== undefined ? { ns: loc.ns } : {}), ...(loc.ap !== undefined ? { ap: loc.ap } : {}) };
  const kind = labels[n - 1]!;
  if (qtype === SRV && kind.startsWith('_')) return rfc2782(labels.slice(0, n), dc, space);
  if (PASSED.has(kind)) return { kind: 'pass', what: kind };
  const parts = labels.slice(0, n - 1);
  if (parts.length === 0) return INVALID;
  switch (kind) {
    case 'service':
      if (parts.length === 1) return { kind: 'service', service: parts[0]!, tag: undefined, dc, rfc2782: false, ...space };
      if (parts.length !== 2) return INVALID;
      if (parts[0]!.startsWith('_') && parts[1]!.startsWith('_')) return rfc2782(parts, dc, space);
      return { kind: 'service', service: parts[1]!, tag: parts[0], dc, rfc2782: false, ...space };
    case 'node':
      return { kind: 'node', node: parts.join('.'), dc, ...(loc.ap !== undefined ? { ap: loc.ap } : {}) };
    case 'addr':
      return parts.length === 1 ? addr(parts[0]!, dc) : INVALID;
    case 'connect':
      // NAME.connect: the service's Connect endpoints (sidecar proxies, or itself when Connect-native).
      return parts.length === 1 ? { kind: 'service', service: parts[0]!, tag: undefined, dc, rfc2782: false, connect: true, ...space } : INVALID;
    case 'ingress':
      // NAME.ingress: the ingress gateways that expose the service.
      return parts.length === 1 ? { kind: 'service', service: parts[0]!, tag: undefined, dc, rfc2782: false, ingress: true, ...space } : INVALID;
    case 'virtual':
      // NAME.virtual: the service's virtual IP in the mesh. NAME.virtual.PEER (a peer's service)
      // and the other localities are left to the next plugin.
      if (labels.length > n) return { kind: 'pass', what: 'virtual' };
      return parts.length === 1 ? { kind: 'virtual', service: parts[0]! } : INVALID;
    case 'query':
      // NAME.query or the RFC 2782 form _NAME._ANYTHING.query (the second label is ignored, as Consul).
      if (parts.length === 1) return { kind: 'query', query: parts[0]!, dc };
      if (parts.length === 2 && parts[0]!.startsWith('_') && parts[1]!.startsWith('_') && parts[0]!.length > 1) return { kind: 'query', query: parts[0]!.slice(1), dc };
      return INVALID;
    default:
      return INVALID;
  }
}

function isKind(label: string): boolean {
  return ANSWERED.has(label) || PASSED.has(label);
}

/** `_NAME._TAG`: `_tcp` means no tag filter (Consul's RFC 2782 default). */
function rfc2782(parts: readonly string[], dc: string | undefined, space: { ns?: string; ap?: string } = {}): ConsulName {
  if (parts.length !== 2 || !parts[0]!.startsWith('_') || !parts[1]!.startsWith('_')) return INVALID;
  const service = parts[0]!.slice(1);
  const tag = parts[1]!.slice(1);
  if (service === '' || tag === '') return INVALID;
  return { kind: 'service', service, tag: tag === 'tcp' ? undefined : tag, dc, rfc2782: true, ...space };
}

/** 8 hex digits: an IPv4 address; 32: an IPv6 address (the targets Consul gives services with their own address). */
function addr(hex: string, dc: string | undefined): ConsulName {
  if (!/^[0-9a-f]+$/.test(hex)) return INVALID;
  if (hex.length === 8) {
    const ip = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    return { kind: 'addr', ip, family: 4, dc };
  }
  if (hex.length === 32) {
    const groups = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    return { kind: 'addr', ip: groups.join(':'), family: 6, dc };
  }
  return INVALID;
}

/** Whether a zone holds reverse names (`arpa.`, `in-addr.arpa.`, `ip6.arpa.` or below them). */
export function isReverseZone(zone: string): boolean {
  return zone === 'arpa.' || zone.endsWith('.arpa.');
}

/**
 * The address of a reverse name: `D.C.B.A.in-addr.arpa.` or 32 nibbles `.ip6.arpa.`; undefined
 * for any other name (a partial one included).
 */
export function reverseAddress(lname: string): { ip: string; family: 4 | 6 } | undefined {
  const labels = lname.replace(/\.$/, '').split('.');
  const n = labels.length;
  if (n === 6 && labels[4] === 'in-addr' && labels[5] === 'arpa') {
    const octets = labels.slice(0, 4).reverse();
    if (!octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
    return { ip: octets.map(Number).join('.'), family: 4 };
  }
  if (n === 34 && labels[32] === 'ip6' && labels[33] === 'arpa') {
    const nibbles = labels.slice(0, 32).reverse();
    if (!nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return { ip: groups.join(':'), family: 6 };
  }
  return undefined;
}

/** The `.addr` label of an IP address: 8 or 32 hex digits. */
export function addrLabel(ip: string, family: 4 | 6): string {
  if (family === 4) return ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
  return ipv6Bytes(ip).toString('hex');
}

/** The 16 bytes of an IPv6 address that node:net accepts (an IPv4 tail included). */
export function ipv6Bytes(ip: string): Buffer {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return out;
}
