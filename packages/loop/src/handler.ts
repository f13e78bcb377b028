import { type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { MAX_SEEN } from './options.js';

/** HINFO (RFC 1035): the probe's type, as CoreDNS's. */
export const HINFO = 13;

/**
 * Counts how often the probe query (HINFO for a random name) comes in. The server sends it to
 * itself once at start; seen a third time, it has gone round a forwarding loop, and `onLoop` stops
 * the server. Once the probe is over it only passes queries on.
 */
export class LoopPlugin implements Plugin {
  readonly name = 'loop';
  seen = 0;
  active = true;

  constructor(readonly qname: string, readonly onLoop: (message: string) => void, readonly where: string) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (this.active && ctx.request.qtype === HINFO && ctx.request.question?.lname === this.qname) {
      this.seen++;
      if (this.seen > MAX_SEEN) {
        this.active = false;
        this.onLoop(`loop: forwarding loop detected: seen "HINFO IN ${this.qname}" sent to ${this.where} ${this.seen} times; a forward upstream sends queries back to this server (check forward's upstreams and /etc/resolv.conf)`);
      }
    }
    return next(ctx);
  }
}
