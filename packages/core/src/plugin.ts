import type { Next } from './chain.js';
import type { QueryContext } from './context.js';
import type { Directive } from './corefile/index.js';
import type { DnsMessage } from './message.js';
import type { ServerBlock } from './block.js';

/** A link in the chain. Nothing but the edge writes to a socket. */
export interface Plugin {
  readonly name: string;
  /** Answer (return a message), or pass on with `next(ctx)`. Synchronous on a cache hit. */
  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage>;
  /** Open sockets, start watches. Runs before the server listens. */
  start?(): Promise<void> | void;
  /** Drain and close. */
  stop?(): Promise<void> | void;
  /** For the ready endpoint. */
  ready?(): boolean;
}

/** What code composition accepts: a plugin, or a factory that builds one inside a server block (to reach its services). */
export type PluginInput = Plugin | ((block: ServerBlock) => Plugin | undefined);

/** Where a third-party plugin goes in the chain, relative to a known directive. */
export type PluginOrder = { readonly before: string } | { readonly after: string };

/**
 * The one door through which every plugin, built-in or published, enters a Corefile:
 * `parse` turns the directive's tokens into typed options (errors carry FILE:LINE through the
 * tokens); `create` builds the plugin inside its server block, where it may register services
 * and metrics. A directive that only configures the server (bind, health, ...) returns undefined.
 */
export interface PluginDefinition<O = unknown> {
  /** The Corefile directive. */
  readonly name: string;
  /** Required for plugins outside the built-in order list. */
  readonly order?: PluginOrder;
  /** The @dnsmesh/core versions it works with (a semver range such as "^0.1.0"). */
  readonly core?: string;
  /** Directives that must be in the same server block (e.g. serve_stale needs cache). */
  readonly needs?: readonly string[];
  /**
   * True when the directive may appear more than once in a server block (as CoreDNS allows for
   * bind, log and forward); otherwise a second use is a Corefile error, as in CoreDNS.
   */
  readonly repeatable?: boolean;
  parse(directive: Directive, block: ServerBlock): O;
  create(options: O, block: ServerBlock): Plugin | undefined;
}

/** Declares a plugin; checks the declaration at once so a mistake fails at load, not at the first query. */
export function definePlugin<O>(def: PluginDefinition<O>): PluginDefinition<O> {
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(def.name)) {
    throw new TypeError(`definePlugin: name must be a directive name (lower case), got ${JSON.stringify(def.name)}`);
  }
  if (typeof def.parse !== 'function') throw new TypeError(`definePlugin(${def.name}): parse must be a function`);
  if (typeof def.create !== 'function') throw new TypeError(`definePlugin(${def.name}): create must be a function`);
  if (def.order !== undefined && !('before' in def.order) && !('after' in def.order)) {
    throw new TypeError(`definePlugin(${def.name}): order needs 'before' or 'after'`);
  }
  return def;
}
