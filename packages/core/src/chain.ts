import type { QueryContext } from './context.js';
import { DnsMessage } from './message.js';
import type { Plugin } from './plugin.js';
import { FLAG_QR, Rcode } from './wire/constants.js';

/** What a plugin calls to pass a query on. May answer at once (a cache hit) or later. */
export type Next = (ctx: QueryContext) => DnsMessage | Promise<DnsMessage>;

/**
 * Builds the onion once: each plugin's `next` runs the one after it, and the end of the chain
 * answers REFUSED (no plugin took the name). No closure or promise is made per query, so a chain
 * that answers synchronously (a cache hit) returns synchronously.
 */
export function compose(plugins: readonly Plugin[], end: Next = refuse): Next {
  let next = end;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const plugin = plugins[i]!;
    const after = next;
    next = (ctx) => plugin.handle(ctx, after);
  }
  return next;
}

/**
 * What a plugin returns to send nothing back (acl `drop`, a rate-limited reply); the plugin counts
 * it. The edge drops the query when this very object comes out of the chain. A REFUSED header, so
 * plugins that wrap the chain (log, prometheus) read a reply like any other. One shared object,
 * not a state field: a field more on every context costs every cache hit an allocation.
 */
export const NO_REPLY: DnsMessage = (() => {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(FLAG_QR | Rcode.REFUSED, 2);
  return new DnsMessage(header);
})();

/** The end of every chain. */
export function refuse(ctx: QueryContext): DnsMessage {
  return DnsMessage.reply(ctx.request, Rcode.REFUSED);
}

/**
 * Runs `fn` on a reply now when it is a plain value, or when it lands when it is a promise
 * (for wrapping plugins: metrics, log), so the synchronous path stays synchronous.
 */
export function after<T>(result: DnsMessage | Promise<DnsMessage>, fn: (reply: DnsMessage) => T): T | Promise<T> {
  return result instanceof Promise ? result.then(fn) : fn(result);
}
