import type { Directive } from '@dnsmesh/core';
import type { LoopOptions } from './options.js';

/** `loop` (no arguments) -> LoopOptions: the probe lives in the block's first zone. */
export function parse(d: Directive): LoopOptions {
  d.expectArgs(0, 0);
  if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
  return { zone: d.serverZones[0] ?? '.' };
}
