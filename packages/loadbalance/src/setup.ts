import type { Directive } from '@dnsmesh/core';
import { DEFAULTS, type LoadbalanceOptions } from './options.js';

/** `loadbalance [round_robin|weighted FILE]` -> LoadbalanceOptions. */
export function parse(d: Directive): LoadbalanceOptions {
  const args = d.expectArgs(0, 3);
  if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
  const policy = args[0];
  if (policy === undefined) return DEFAULTS;
  if (policy.text === 'round_robin') {
    if (args.length > 1) throw args[1]!.fail(`round_robin takes no arguments, got '${args[1]!.text}'`);
    return { policy: 'round_robin' };
  }
  if (policy.text === 'weighted') throw policy.fail('the weighted policy is not supported yet (use round_robin)');
  throw policy.fail(`unknown policy '${policy.text}' (round_robin or weighted)`);
}
