import type { QueryContext } from '@dnsmesh/core';
import { parseCidr, type Cidr } from './ip.js';
import type { Policy, Rule } from './policy.js';

/**
 * Who a server block answers when it has no `acl`: the machine itself and networks that are not
 * routed on the Internet, so a node-local or cluster resolver works out of the box while an
 * Internet host cannot use it as an open resolver (or a reflector). Unbound answers only
 * localhost by default; pods, containers and VMs reach a node-local resolver from RFC 1918 or
 * RFC 4193 addresses (and 100.64/10 on EKS and other CGNAT-style pod networks), hence these.
 */
export const DEFAULT_ALLOWED: readonly string[] = [
  '127.0.0.0/8', // loopback
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // RFC 1918
  '169.254.0.0/16', // link-local (RFC 3927)
  '100.64.0.0/10', // shared address space (RFC 6598): CGNAT, and pod networks that use it
  '::1/128', // loopback
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local
];

const NETS: readonly Cidr[] = DEFAULT_ALLOWED.map((text) => parseCidr(text) as Cidr);

/** The default as acl rules: allow the nets above, block (REFUSED, EDE 18) everyone else. */
export function defaultRules(zones: readonly string[]): Rule[] {
  const policies: Policy[] = [
    { action: 'allow', types: undefined, nets: NETS },
    { action: 'block', types: undefined, nets: undefined },
  ];
  return [{ zones, blockZones: true, policies }];
}

/** How many refused addresses are remembered (so each is logged once); the oldest is forgotten first. */
export const LOGGED_CLIENTS = 1000;

/**
 * Remembers the last `capacity` addresses it was shown, so a refused client is logged once and a
 * flood of spoofed sources costs a bounded set, never an unbounded one or a log line per packet.
 */
export class SeenOnce {
  readonly #seen = new Set<string>();

  constructor(readonly capacity: number = LOGGED_CLIENTS) {}

  /** True the first time an address is seen (or the first time since it was forgotten). */
  first(address: string): boolean {
    if (this.#seen.has(address)) return false;
    if (this.#seen.size >= this.capacity) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(address);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** Logs a refused client once, as a warning that says how to open the server. */
export function logRefusedOnce(seen: SeenOnce): (ctx: QueryContext) => void {
  return (ctx) => {
    const address = ctx.client.address;
    if (!seen.first(address)) return;
    ctx.block.logger.warn(
      { client: address, server: ctx.block.serverLabel },
      'refused a client outside loopback, private and link-local networks (the default without acl); allow it with: acl { allow net NETWORK }',
    );
  };
}
