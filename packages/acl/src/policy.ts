import { inZone } from '@dnsmesh/core';
import { contains, type Cidr, type Ip } from './ip.js';

/** What a matching policy does with a query (CoreDNS's acl actions). */
export type Action = 'allow' | 'block' | 'filter' | 'drop';

/** One line of an acl block: `ACTION [type QTYPE...] [net SOURCE...]`. */
export interface Policy {
  readonly action: Action;
  /** Query types it matches; undefined is every type (`type *`, or no `type`). */
  readonly types: ReadonlySet<number> | undefined;
  /** Client networks it matches; undefined is every address (`net *`, or no `net`). */
  readonly nets: readonly Cidr[] | undefined;
}

/** One acl directive: the zones it guards and its policies, first match wins. */
export interface Rule {
  /** Canonical zones ("example.org."); the server block's zones when the directive names none. */
  readonly zones: readonly string[];
  /** True when `zones` are the server block's own: every query of the block is in one of them. */
  readonly blockZones: boolean;
  readonly policies: readonly Policy[];
}

/** The outcome for one query: the action, and the rule zone that matched (for metrics). */
export interface Verdict {
  readonly action: Action;
  /** The zone of the rule that decided, '' when no rule did (allowed by default). */
  readonly zone: string;
}

const ALLOWED: Verdict = { action: 'allow', zone: '' };

/** True when the policy covers this client and query type. */
export function matches(policy: Policy, ip: Ip, qtype: number): boolean {
  if (policy.types !== undefined && !policy.types.has(qtype)) return false;
  if (policy.nets === undefined) return true;
  for (const net of policy.nets) if (contains(net, ip)) return true;
  return false;
}

/**
 * CoreDNS's evaluation: rules in order, and inside the first rule whose zones hold the name, its
 * policies in order. The first policy that matches decides; `allow` ends the search; a rule with
 * no matching policy passes to the next rule; a query no policy matches is allowed. `lname` (the
 * lower-case name) is asked for only when a rule names zones of its own.
 */
export function decide(rules: readonly Rule[], ip: Ip | undefined, qtype: number, lname: () => string): Verdict {
  for (const rule of rules) {
    const zone = rule.blockZones && rule.zones.length === 1 ? rule.zones[0]! : zoneOf(rule.zones, lname());
    if (zone === undefined) continue;
    // An address that does not parse is blocked, as CoreDNS does: no policy can be checked for it.
    if (ip === undefined) return { action: 'block', zone };
    for (const policy of rule.policies) {
      if (!matches(policy, ip, qtype)) continue;
      return policy.action === 'allow' ? ALLOWED : { action: policy.action, zone };
    }
  }
  return ALLOWED;
}

/** The most specific of `zones` that holds `lname`. */
export function zoneOf(zones: readonly string[], lname: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(lname, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}
