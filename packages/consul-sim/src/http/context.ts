// What every /v1 handler may use, with the grant of the request's token.
import type { ServerResponse } from 'node:http';
import type { Grant } from '../acl.js';
import type { Counters } from '../counters.js';
import type { Failures } from '../failures.js';
import type { SimConfig } from '../options.js';
import type { Catalog } from '../state.js';
import type { Timers } from '../timers.js';

export interface HttpContext {
  readonly cfg: SimConfig;
  readonly catalog: Catalog;
  readonly counters: Counters;
  readonly failures: Failures;
  readonly timers: Timers;
  /** Keys of ?cached requests already seen: the agent cache that background-refreshes them. */
  readonly cached: Set<string>;
  readonly grant: Grant;
  readonly token: string | undefined;
  readonly res: ServerResponse;
  readonly url: URL;
}

/** The read's scope: `?dc=` (the agent's own when absent or equal to it), `?ns=`, `?partition=` (default `default`). */
export function readScope(ctx: { readonly url: URL; readonly cfg: SimConfig }): import('../state.js').ReadScope {
  const q = ctx.url.searchParams;
  const dc = (q.get('dc') ?? '').toLowerCase();
  return {
    dc: dc === '' || dc === ctx.cfg.datacenter ? undefined : dc,
    ns: (q.get('ns') || 'default').toLowerCase(),
    ap: (q.get('partition') || 'default').toLowerCase(),
  };
}
