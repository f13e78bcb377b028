import type { Directive } from '@dnsmesh/core';
import { addressArg, addressOption, type HttpAddress } from '../http/address.js';

export interface AdminOptions {
  /** Where `/cache` and `/cache/flush` are served. */
  readonly address: HttpAddress;
}

/** The port used when ADDRESS has none. */
export const DEFAULT_PORT = 8053;

/** `admin ADDRESS`: the address is required (an admin endpoint is never opened by surprise). */
export function parse(d: Directive): AdminOptions {
  const [addr] = d.expectArgs(1, 1);
  if (d.block.length > 0) throw d.block[0]!.fail(`unknown property '${d.block[0]!.name.text}'`);
  return { address: addressArg(addr, { host: 'localhost', port: DEFAULT_PORT }) };
}

export interface AdminInput {
  /** `HOST[:PORT]`, required; `127.0.0.1:0` picks a free port (see `httpUrl`). */
  readonly address: string;
}

export function resolveOptions(input: AdminInput): AdminOptions {
  if (input?.address === undefined) throw new TypeError("admin: address is required (like '127.0.0.1:8053')");
  return { address: addressOption('admin', input.address, { host: 'localhost', port: DEFAULT_PORT }) };
}
