import type { Directive } from '@dnsmesh/core';

/** `any`, with no arguments and no block (as CoreDNS). */
export function parse(d: Directive): Record<string, never> {
  d.expectArgs(0, 0);
  if (d.block.length > 0) throw d.block[0]!.fail(`unknown property '${d.block[0]!.name.text}'`);
  if (d.hasBlock) throw d.fail('takes no block');
  return {};
}
