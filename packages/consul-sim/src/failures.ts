// Failure modes switched on at runtime (notes §6): what is active, since when, and with which options.
import type { Catalog } from './state.js';
import type { CheckStatus } from './options.js';
import type { Timers } from './timers.js';

export interface FailureOptions {
  /** Close both ports; `for` (ms) reopens them by itself, the only way back when driving over HTTP. */
  down: { for?: number };
  /** Accept and never answer. */
  blackhole: { dns?: boolean; http?: boolean };
  /** Delay every DNS reply and HTTP response by ms plus a random 0..jitter. */
  slow: { ms?: number; jitter?: number; dns?: boolean; http?: boolean };
  /** rpcPrefix: answer as a client agent does, "rpc error making call: No cluster leader". */
  no_leader: { rpcPrefix?: boolean };
  no_servers: Record<string, never>;
  /** A one-shot snapshot restore: indexes drop (to `to`, else halve) and every waiter wakes. */
  index_reset: { to?: number };
  /** Not faithful: X-Consul-Index 0, to test a client's guard. */
  index_zero: Record<string, never>;
  /** Toggle the service checks of `service` (or one instance) between passing and critical every `every` ms. */
  flap: { service: string; serviceId?: string; every?: number };
  /** 429 on /v1; with dns, SERVFAIL too (an agent's RPC rate limit). */
  rate_limit: { dns?: boolean };
}
export type FailureMode = keyof FailureOptions;
export const FAILURE_MODES: readonly FailureMode[] = [
  'down', 'blackhole', 'slow', 'no_leader', 'no_servers', 'index_reset', 'index_zero', 'flap', 'rate_limit',
];

interface Active { readonly opts: Record<string, unknown>; readonly since: number; stop?: () => void }

export class Failures {
  readonly #active = new Map<FailureMode, Active>();

  set<M extends FailureMode>(mode: M, opts: FailureOptions[M], stop?: () => void): void {
    this.clear(mode);
    this.#active.set(mode, { opts: opts as Record<string, unknown>, since: Date.now(), ...(stop ? { stop } : {}) });
  }
  clear(mode: FailureMode): void {
    this.#active.get(mode)?.stop?.();
    this.#active.delete(mode);
  }
  clearAll(): void { for (const mode of [...this.#active.keys()]) this.clear(mode); }
  has(mode: FailureMode): boolean { return this.#active.has(mode); }
  options<M extends FailureMode>(mode: M): FailureOptions[M] | undefined {
    return this.#active.get(mode)?.opts as FailureOptions[M] | undefined;
  }
  /** ms since the mode was switched on (LastContact grows with it under no_leader). */
  age(mode: FailureMode): number {
    const a = this.#active.get(mode);
    return a === undefined ? 0 : Date.now() - a.since;
  }
  list(): Array<{ mode: FailureMode; options: Record<string, unknown>; since: string }> {
    return [...this.#active].map(([mode, a]) => ({ mode, options: a.opts, since: new Date(a.since).toISOString() }));
  }

  blackholed(channel: 'dns' | 'http'): boolean {
    const o = this.options('blackhole');
    return o !== undefined && o[channel] !== false;
  }
  /** The delay for one reply on this channel, 0 when slow is off. */
  delay(channel: 'dns' | 'http', random: () => number): number {
    const o = this.options('slow');
    if (o === undefined || o[channel] === false) return 0;
    return (o.ms ?? 500) + random() * (o.jitter ?? 0);
  }
}

/** Starts flapping; the returned function stops it and puts the checks back as they were. */
export function startFlap(catalog: Catalog, timers: Timers, o: FailureOptions['flap']): () => void {
  const targets = catalog.instances(o.service)
    .filter((i) => o.serviceId === undefined || i.service.id === o.serviceId)
    .map((i) => ({ node: i.node.name, serviceId: i.service.id, was: i.service.check.status }));
  if (targets.length === 0) throw new RangeError(`consul-sim: flap: no instances of ${o.service}`);
  const flip = (s: CheckStatus): CheckStatus => (s === 'critical' ? 'passing' : 'critical');
  const timer = timers.every(o.every ?? 1000, () => {
    for (const t of targets) {
      const s = catalog.service(t.serviceId);
      if (s !== undefined) catalog.setCheck({ node: t.node, serviceId: t.serviceId, status: flip(s.check.status) });
    }
  });
  return () => {
    timers.clear(timer);
    for (const t of targets) {
      const s = catalog.service(t.serviceId);
      if (s !== undefined && s.check.status !== t.was) catalog.setCheck({ node: t.node, serviceId: t.serviceId, status: t.was });
    }
  };
}
