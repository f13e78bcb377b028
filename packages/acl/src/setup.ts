import { canonicalName, typeFromName, type Directive, type Property, type Token } from '@dnsmesh/core';
import { parseCidr, type Cidr } from './ip.js';
import type { Action, Policy, Rule } from './policy.js';

const ACTIONS: ReadonlySet<string> = new Set<Action>(['allow', 'block', 'filter', 'drop']);

/**
 * ```
 * acl [ZONES...] {
 *     allow|block|filter|drop [type QTYPE...] [net SOURCE...]
 * }
 * ```
 * As CoreDNS: keywords in any case, `*` for every type or address, a lone address is a /32 or
 * /128. Unlike CoreDNS, a network with host bits set (`10.1.0.0/8`) is an error, not silently 10/8.
 */
export function parse(d: Directive): Rule {
  const args = d.expectArgs(0);
  const zones = args.length > 0 ? args.map((a) => a.zone()) : d.serverZones.map(canonicalName);
  return { zones, blockZones: args.length === 0, policies: d.block.map(policy) };
}

function policy(p: Property): Policy {
  const action = p.name.text.toLowerCase();
  if (!ACTIONS.has(action)) throw p.fail(`unknown action '${p.name.text}': expected allow, block, filter or drop`);
  let types: Set<number> | undefined | null = null; // null: no type section yet
  let nets: Cidr[] | undefined | null = null;
  const rest = p.args.slice();
  while (rest.length > 0) {
    const section = rest.shift()!;
    const word = section.text.toLowerCase();
    if (word !== 'type' && word !== 'net') throw section.fail(`unexpected '${section.text}' in ${action}: expected type or net`);
    const values: Token[] = [];
    while (rest.length > 0 && !isSection(rest[0]!)) values.push(rest.shift()!);
    if (values.length === 0) throw section.fail(`${action}: ${word} needs at least one ${word === 'type' ? 'QTYPE (or *)' : 'SOURCE network (or *)'}`);
    if (word === 'type') {
      if (types !== null) throw section.fail(`${action}: type is given twice`);
      types = typeSet(values);
    } else {
      if (nets !== null) throw section.fail(`${action}: net is given twice`);
      nets = netList(values);
    }
  }
  return { action: action as Action, types: types ?? undefined, nets: nets ?? undefined };
}

function isSection(t: Token): boolean {
  const w = t.text.toLowerCase();
  return w === 'type' || w === 'net';
}

/** undefined when `*` is among them (every type). */
function typeSet(values: Token[]): Set<number> | undefined {
  const out = new Set<number>();
  let all = false;
  for (const v of values) {
    if (v.text === '*') { all = true; continue; }
    const type = typeFromName(v.text.toUpperCase());
    if (type === undefined) throw v.fail(`unknown query type '${v.text}'`);
    out.add(type);
  }
  return all ? undefined : out;
}

/** undefined when `*` is among them (every address). */
function netList(values: Token[]): Cidr[] | undefined {
  const out: Cidr[] = [];
  let all = false;
  for (const v of values) {
    if (v.text === '*') { all = true; continue; }
    const net = parseCidr(v.text);
    if (typeof net === 'string') throw v.fail(net);
    out.push(net);
  }
  return all ? undefined : out;
}
