import type { Directive } from '@dnsmesh/core';
import { DEFAULTS, LIMITS, type PrefetchOptions } from './options.js';

/**
 * `prefetch AMOUNT [DURATION] [PERCENTAGE%]`, as CoreDNS writes it (on its own, or inside `cache`,
 * which hands the property over). `prefetch 2 20%` (a percentage without the window) works too.
 */
export function parse(d: Directive): PrefetchOptions {
  if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}' (prefetch takes no block)`);
  const [amountTok, second, third] = d.expectArgs(1, 3);
  const amount = amountTok!.int(LIMITS.amount);
  let duration: number = DEFAULTS.duration;
  let percentage: number = DEFAULTS.percentage;
  if (second !== undefined) {
    if (second.text.endsWith('%') && third === undefined) percentage = second.percent(LIMITS.percentage);
    else duration = second.duration(LIMITS.duration);
  }
  if (third !== undefined) percentage = third.percent(LIMITS.percentage);
  return { amount, duration, percentage };
}
