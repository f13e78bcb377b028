import type { DnsMessage, Next, Plugin, QueryContext } from '@dnsmesh/core';

/** Plain counters; metrics read them at scrape time. */
export class TcpRetryCounts {
  /** Truncated UDP replies asked again over TCP. */
  retries = 0;
  /** Retries whose TCP answer was still truncated or failed. */
  failures = 0;
}

/**
 * Asks a truncated UDP upstream reply again over TCP, to the same upstream, before anything
 * before it (the cache) sees it: what is stored is the complete answer, and the edge then fits it
 * to each client. Replies without RA (Consul's) pass like any other.
 */
export class TcpRetryPlugin implements Plugin {
  readonly name = 'tcp_retry';
  readonly counts = new TcpRetryCounts();

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const result = next(ctx);
    // Upstream answers arrive as promises; a synchronous reply came from no network.
    if (!(result instanceof Promise)) return result;
    return result.then((reply) => (reply.tc && ctx.state.upstreamTransport === 'udp' ? this.#retry(ctx, next, reply) : reply));
  }

  async #retry(ctx: QueryContext, next: Next, truncated: DnsMessage): Promise<DnsMessage> {
    this.counts.retries++;
    ctx.state.forceTcp = true;
    try {
      const full = await next(ctx);
      if (full.tc) this.counts.failures++;
      return full;
    } catch {
      this.counts.failures++;
      return truncated; // the client still gets TC and may retry over TCP itself
    } finally {
      ctx.state.forceTcp = false;
    }
  }
}
