import type { Directive, Duration } from '@dnsmesh/core';
import { addressArg, addressOption, type HttpAddress } from '../http/address.js';

export interface HealthOptions {
  /** Where `/health` is served. */
  readonly address: HttpAddress;
  /** How long the server's stop is held while `/health` still answers (ms); 0 = none. */
  readonly lameduck: Duration;
}

/** CoreDNS serves :8080; dnsmesh keeps to loopback unless told otherwise. */
export const DEFAULTS: HealthOptions = { address: { host: 'localhost', port: 8080 }, lameduck: 0 };

/** The longest lameduck: a stop must still finish within SIGTERM's budget. */
export const MAX_LAMEDUCK: Duration = 60_000;

/** `health [ADDRESS] { lameduck DURATION }`. */
export function parse(d: Directive): HealthOptions {
  const [addr] = d.expectArgs(0, 1);
  let lameduck = DEFAULTS.lameduck;
  for (const p of d.block) {
    switch (p.name.text) {
      case 'lameduck': lameduck = p.expectArgs(1, 1)[0]!.duration({ min: 0, max: MAX_LAMEDUCK }); break;
      default: throw p.fail(`unknown property '${p.name.text}'`);
    }
  }
  return { address: addressArg(addr, DEFAULTS.address), lameduck };
}

export interface HealthInput {
  /** `HOST[:PORT]`, default `localhost:8080`. */
  readonly address?: string;
  /** Milliseconds to hold the stop while `/health` still answers 200; default 0. */
  readonly lameduck?: Duration;
}

export function resolveOptions(input: HealthInput = {}): HealthOptions {
  const lameduck = input.lameduck ?? DEFAULTS.lameduck;
  if (!Number.isFinite(lameduck) || lameduck < 0 || lameduck > MAX_LAMEDUCK) {
    throw new TypeError(`health: lameduck must be between 0 and ${MAX_LAMEDUCK} ms, got ${lameduck}`);
  }
  return { address: addressOption('health', input.address, DEFAULTS.address), lameduck };
}
