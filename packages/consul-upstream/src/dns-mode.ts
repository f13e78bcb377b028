import {
  DnsMessage, Ede, fromUpstream, inZone, Rcode, UpstreamClient, UpstreamTimeout, upstreamQuery, type Next, type Plugin,
  type QueryContext, type UpstreamAddress, type UpstreamTransport,
} from '@dnsmesh/core';
import type { ConsulCounts } from './metrics.js';
import { DNS_TIMEOUT, sourceLabel, type ConsulOptions } from './options.js';

/**
 * DNS mode: sends the names of its zones to the agent's DNS port over UDP (with core's
 * UpstreamClient: random ID and source port, reply checks) and, when the reply is truncated, asks
 * again over TCP itself, so a cache in front stores the complete answer even without tcp_retry.
 * The agent gets dnsmesh's own query (`upstreamQuery`: never the client's bytes or OPT); its reply
 * goes back as it came (wire bytes; the cache floors Consul's TTL 0 at its MINTTL), through
 * `fromUpstream` (AD cleared; a question-less error is an answer). No reply within 5 s in all:
 * SERVFAIL with an Extended DNS Error (22, or 23 when the agent's port refused).
 */
export class ConsulDnsPlugin implements Plugin {
  readonly name = 'consul';
  readonly client = new UpstreamClient();
  readonly address: UpstreamAddress;
  readonly label: string;

  constructor(readonly options: ConsulOptions, readonly counts: ConsulCounts) {
    if (options.source.mode !== 'dns') throw new TypeError('consul: ConsulDnsPlugin needs a dns source');
    this.address = options.source.address;
    this.label = sourceLabel(options.source);
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const q = ctx.request.question;
    if (q === undefined || !this.options.zones.some((z) => inZone(q.lname, z))) return next(ctx);
    return this.#ask(ctx);
  }

  async #ask(ctx: QueryContext): Promise<DnsMessage> {
    ctx.state.plugin = 'consul';
    ctx.state.upstream = this.label;
    const deadline = performance.now() + DNS_TIMEOUT;
    // Over TLS the answers are whole: no truncation, no second ask.
    let transport: UpstreamTransport = this.address.tls !== undefined ? 'tls' : ctx.state.forceTcp ? 'tcp' : 'udp';
    let reply: DnsMessage | undefined;
    const query = upstreamQuery(ctx.request, undefined, ctx.upstreamEdns?.options); // with the options rewrite edns0 set
    try {
      reply = await this.#exchange(ctx, query, transport, deadline);
      if (reply.tc && transport === 'udp') {
        this.counts.dnsTruncated++;
        transport = 'tcp';
        reply = await this.#exchange(ctx, query, transport, deadline);
      }
      ctx.state.upstreamTransport = transport;
      return fromUpstream(ctx, reply, this.label);
    } catch (err) {
      this.counts.requests[err instanceof UpstreamTimeout ? 'timeout' : 'error']++;
      if (reply !== undefined) {
        // The TCP retry failed: the truncated reply still tells the client to try TCP itself.
        ctx.state.upstreamTransport = 'udp';
        return fromUpstream(ctx, reply, this.label);
      }
      this.counts.servfails++;
      ctx.setEde(err instanceof UpstreamTimeout ? Ede.NO_REACHABLE_AUTHORITY : Ede.NETWORK_ERROR, err instanceof Error ? err.message : undefined);
      ctx.log.warn({ err, upstream: this.label }, 'consul: the agent did not answer');
      return DnsMessage.reply(ctx.request, Rcode.SERVFAIL);
    }
  }

  async #exchange(ctx: QueryContext, query: Buffer, transport: UpstreamTransport, deadline: number): Promise<DnsMessage> {
    if (transport !== 'udp') this.counts.dnsTcp++;
    else this.counts.dnsUdp++;
    const timeout = Math.max(1, deadline - performance.now());
    const reply = await this.client.exchange(query, this.address, { transport, timeout, signal: ctx.signal });
    this.counts.requests.ok++;
    return reply;
  }

  stop(): void {
    this.client.close();
  }
}
