/** What `loadbalance` does. Only `round_robin` (a random order on every reply, as CoreDNS) for now. */
export interface LoadbalanceOptions {
  readonly policy: 'round_robin';
}

export const DEFAULTS: LoadbalanceOptions = { policy: 'round_robin' };
