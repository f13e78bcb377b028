import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseCidr, type Cidr } from '@dnsmesh/acl';
import { CorefileError, type Directive, type Property } from '@dnsmesh/core';
import { DEFAULT_RELOAD, DEFAULTS, type LoadbalanceOptions } from './options.js';
import { parseWeights } from './weights.js';

/** `loadbalance [round_robin | weighted WEIGHTFILE] { reload DURATION ; prefer CIDR... }` -> LoadbalanceOptions. */
export function parse(d: Directive): LoadbalanceOptions {
  const args = d.expectArgs(0, 2);
  const policy = args[0];
  let prefer: Cidr[] | undefined;
  const preferLine = (p: Property): void => {
    for (const a of p.expectArgs(1)) {
      const net = parseCidr(a.text);
      if (typeof net === 'string') throw a.fail(`prefer: ${net}`);
      (prefer ??= []).push(net);
    }
  };
  if (policy === undefined || policy.text === 'round_robin') {
    if (args.length > 1) throw args[1]!.fail(`round_robin takes no arguments, got '${args[1]!.text}'`);
    for (const p of d.block) {
      if (p.name.text === 'prefer') preferLine(p);
      else throw p.name.fail(`unknown property '${p.name.text}'${p.name.text === 'reload' ? ' (reload goes with weighted)' : ''}`);
    }
    return prefer === undefined ? DEFAULTS : { policy: 'round_robin', prefer };
  }
  if (policy.text !== 'weighted') throw policy.fail(`unknown policy '${policy.text}' (round_robin or weighted)`);
  const fileArg = args[1];
  if (fileArg === undefined) throw policy.fail('weighted needs a WEIGHTFILE');
  const file = resolve(dirname(d.file), fileArg.text);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fileArg.fail(`cannot read ${fileArg.text}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const weights = parseWeights(text, (line, message) => new CorefileError(message, fileArg.text, line, 'loadbalance'));
  let reload = DEFAULT_RELOAD;
  for (const p of d.block) {
    if (p.name.text === 'reload') reload = p.expectArgs(1, 1)[0]!.duration({ min: 0, max: 86_400_000 });
    else if (p.name.text === 'prefer') preferLine(p);
    else throw p.name.fail(`unknown property '${p.name.text}'`);
  }
  return prefer === undefined ? { policy: 'weighted', file, weights, reload } : { policy: 'weighted', file, weights, reload, prefer };
}
