import { canonicalName, definePlugin, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { defaultRules, logRefusedOnce, SeenOnce } from './default-access.js';
import { AclCounts, AclPlugin } from './handler.js';
import { publishAclMetrics } from './metrics.js';
import { parseCidr, type Cidr } from './ip.js';
import type { Action, Policy, Rule } from './policy.js';
import { parse } from './setup.js';

export { AclPlugin, AclCounts, EDE_FILTERED, EDE_PROHIBITED, type OnDenied } from './handler.js';
export { DEFAULT_ALLOWED, LOGGED_CLIENTS, SeenOnce, defaultRules } from './default-access.js';
export { decide, matches, type Action, type Policy, type Rule, type Verdict } from './policy.js';
export { parseIp, parseCidr, contains, prefixKey, formatCidr, formatIp, type Ip, type Cidr } from './ip.js';
export { parse } from './setup.js';

/**
 * The rules of every acl directive of one server block, in Corefile order. CoreDNS reads all the
 * acl lines of a block into one plugin, where an `allow` of the first ends the search; so here too
 * the first directive made keeps the plugin and the others add their rules to it.
 */
class AclRules {
  readonly rules: Rule[];
  readonly counts: AclCounts;
  constructor(first: Rule) {
    this.rules = [first];
    this.counts = new AclCounts(first.zones);
  }
}

/** Builds acl in a server block (several acl directives share one plugin, see AclRules). */
export function createAcl(rule: Rule, block: ServerBlock): Plugin | undefined {
  const shared = block.find(AclRules);
  if (shared !== undefined) {
    // Directives are made last to first: each earlier directive's rule goes in front.
    shared.rules.unshift(rule);
    shared.counts.addZones(rule.zones);
    return undefined;
  }
  const made = new AclRules(rule);
  block.provide(AclRules, made);
  publishAclMetrics(block, made.counts);
  return new AclPlugin(made.rules, made.counts);
}

/** What `acl(...)` takes from code: zones (default: the block's) and policies, as in a Corefile. */
export interface AclInput {
  readonly zones?: readonly string[];
  readonly policies: readonly {
    readonly action: Action;
    /** Query type numbers; omit for every type. */
    readonly types?: readonly number[];
    /** Networks like '10.0.0.0/8' or '::1'; omit for every address. */
    readonly nets?: readonly string[];
  }[];
}

/**
 * acl for code composition: place it first among the plugins that answer.
 *
 * @example
 * createServer({ plugins: [acl({ policies: [{ action: 'allow', nets: ['10.0.0.0/8'] }, { action: 'block' }] }), cache(), forward({ to: ['127.0.0.1:5300'] })] });
 */
export function acl(input: AclInput): (block: ServerBlock) => Plugin {
  const policies = input.policies.map(policyOf);
  return function acl(block: ServerBlock): Plugin {
    const zones = (input.zones ?? block.zones).map(canonicalName);
    const rules: Rule[] = [{ zones, blockZones: input.zones === undefined, policies }];
    const counts = new AclCounts(zones);
    publishAclMetrics(block, counts);
    return new AclPlugin(rules, counts);
  };
}

function policyOf(p: AclInput['policies'][number]): Policy {
  if (!['allow', 'block', 'filter', 'drop'].includes(p.action)) throw new TypeError(`acl: action must be allow, block, filter or drop, got ${JSON.stringify(p.action)}`);
  const nets = p.nets?.map((text): Cidr => {
    const net = parseCidr(text);
    if (typeof net === 'string') throw new TypeError(`acl: ${net}`);
    return net;
  });
  return { action: p.action, types: p.types === undefined ? undefined : new Set(p.types), nets };
}

/**
 * The default access policy, for a server block without acl (apps/server adds it): loopback,
 * private and link-local clients are answered, everyone else gets REFUSED with EDE 18, and each
 * refused address is logged once (the last LOGGED_CLIENTS are remembered).
 */
export function defaultAccess(): (block: ServerBlock) => Plugin {
  return function defaultAccess(block: ServerBlock): Plugin {
    const rules = defaultRules(block.zones.map(canonicalName));
    const counts = new AclCounts(rules[0]!.zones);
    publishAclMetrics(block, counts);
    return new AclPlugin(rules, counts, logRefusedOnce(new SeenOnce()));
  };
}

/** `acl [ZONES...] { allow|block|filter|drop [type QTYPE...] [net SOURCE...] }` */
export default definePlugin<Rule>({
  name: 'acl',
  core: '^0.1.0',
  repeatable: true, // as CoreDNS: every acl line of a block joins one rule list
  parse,
  create: createAcl,
});
