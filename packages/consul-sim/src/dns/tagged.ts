// Which address a query type answers, as Consul's agent translates it (TranslateAddress): the
// tagged lan_ipv4 for A and lan_ipv6 for AAAA, else the plain address; ANY (and anything else)
// takes lan_ipv6, then lan_ipv4, then the plain one. Translation to wan addresses applies only to
// other datacenters, which the simulator does not have.
import type { Instance, NodeEntry } from '../state.js';

function pick(qtype: string, plain: string, v4: string, v6: string): string {
  if (qtype === 'A') return v4 || plain;
  if (qtype === 'AAAA') return v6 || plain;
  return v6 || v4 || plain;
}

export function nodeAddressFor(n: NodeEntry, qtype: string): string {
  const t = n.taggedAddresses;
  return pick(qtype, n.address, t['lan_ipv4'] ?? '', t['lan_ipv6'] ?? '');
}

/** The service's own address for qtype (tagged or plain), '' when it has none. */
export function serviceAddressFor(i: Instance, qtype: string): string {
  const t = i.service.taggedAddresses;
  return pick(qtype, i.service.address, t['lan_ipv4']?.Address ?? '', t['lan_ipv6']?.Address ?? '');
}

/** The service's address when it has one (tagged or plain), else its node's; no fallback across families. */
export function instanceAddressFor(i: Instance, qtype: string): string {
  return serviceAddressFor(i, qtype) || nodeAddressFor(i.node, qtype);
}
