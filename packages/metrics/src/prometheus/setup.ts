import type { Directive } from '@dnsmesh/core';
import { addressArg, addressOption, type HttpAddress } from '../http/address.js';

export interface PrometheusOptions {
  /** Where `/metrics` is served. */
  readonly address: HttpAddress;
}

export const DEFAULTS: PrometheusOptions = { address: { host: 'localhost', port: 9153 } };

/** `prometheus [ADDRESS]` (CoreDNS: default localhost:9153). */
export function parse(d: Directive): PrometheusOptions {
  const [addr] = d.expectArgs(0, 1);
  if (d.block.length > 0) throw d.block[0]!.fail(`unknown property '${d.block[0]!.name.text}'`);
  return { address: addressArg(addr, DEFAULTS.address) };
}

export interface PrometheusInput {
  /** `HOST[:PORT]`, default `localhost:9153`; `127.0.0.1:0` picks a free port (see `httpUrl`). */
  readonly address?: string;
}

/** The same options from code, with the same checks. */
export function resolveOptions(input: PrometheusInput = {}): PrometheusOptions {
  return { address: addressOption('prometheus', input.address, DEFAULTS.address) };
}
