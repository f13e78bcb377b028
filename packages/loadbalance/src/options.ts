import type { Cidr } from '@dnsmesh/acl';
import type { Duration } from '@dnsmesh/core';
import type { WeightTable } from './weights.js';

/**
 * What `loadbalance` does: `round_robin` (a random order on every reply, as CoreDNS) or `weighted`;
 * then, with `prefer`, the addresses in the listed networks first (in the order of the list).
 */
export type LoadbalanceOptions = (
  | { readonly policy: 'round_robin' }
  | {
    readonly policy: 'weighted';
    /** The weight file (absolute path) and what it held at load time. */
    readonly file: string;
    readonly weights: WeightTable;
    /** How often the file is checked for changes (ms); 0: never. CoreDNS's default: 30s. */
    readonly reload: Duration;
  }) & {
    /** `prefer CIDR...`: networks whose A/AAAA records go first, in this order; none by default. */
    readonly prefer?: readonly Cidr[];
  };

export const DEFAULTS: LoadbalanceOptions = { policy: 'round_robin' };
export const DEFAULT_RELOAD = 30_000;
