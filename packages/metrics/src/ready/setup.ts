import type { Directive } from '@dnsmesh/core';
import { addressArg, addressOption, type HttpAddress } from '../http/address.js';

export interface ReadyOptions {
  /** Where `/ready` is served. */
  readonly address: HttpAddress;
}

export const DEFAULTS: ReadyOptions = { address: { host: 'localhost', port: 8181 } };

/** `ready [ADDRESS]` (CoreDNS: :8181). */
export function parse(d: Directive): ReadyOptions {
  const [addr] = d.expectArgs(0, 1);
  if (d.block.length > 0) throw d.block[0]!.fail(`unknown property '${d.block[0]!.name.text}'`);
  return { address: addressArg(addr, DEFAULTS.address) };
}

export interface ReadyInput {
  /** `HOST[:PORT]`, default `localhost:8181`. */
  readonly address?: string;
}

export function resolveOptions(input: ReadyInput = {}): ReadyOptions {
  return { address: addressOption('ready', input.address, DEFAULTS.address) };
}
