import type { Directive } from '@dnsmesh/core';
import type { NorecMode } from './handler.js';

const MODES: readonly NorecMode[] = ['refuse', 'cache', 'forward'];

/** `norec refuse|cache|forward` */
export function parse(d: Directive): NorecMode {
  const [mode] = d.expectArgs(1, 1);
  if (d.hasBlock) throw d.fail('takes no block');
  if (!(MODES as readonly string[]).includes(mode!.text)) throw mode!.fail(`expected refuse, cache or forward, got '${mode!.text}'`);
  return mode!.text as NorecMode;
}
