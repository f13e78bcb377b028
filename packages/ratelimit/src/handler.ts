import { contains, parseIp, prefixKey } from '@dnsmesh/acl';
import { DnsMessage, FLAG_TC, NO_REPLY, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { RateLimitOptions } from './options.js';
import { BucketTable } from './table.js';

export class RateLimitCounts {
  /** Replies not sent. */
  dropped = 0;
  /** Replies sent as an empty TC=1 instead (the client may retry over TCP). */
  slipped = 0;
}

/**
 * Limits the replies each client prefix gets over UDP to `rate` per second with bursts up to
 * `burst` (a token bucket per prefix). Past the limit a reply is dropped, and every `slip`th is
 * sent as an empty truncated reply, so a real client whose address was forged into a flood still
 * gets through over TCP (RRL's slip). TCP is never limited: its source cannot be forged.
 */
export class RateLimitPlugin implements Plugin {
  readonly name = 'ratelimit';
  readonly counts = new RateLimitCounts();
  readonly table: BucketTable;
  readonly #perMs: number;
  /** The last client address and its prefix key: a busy client costs one string compare. */
  #lastAddress = '';
  #lastKey: string | undefined;

  constructor(readonly options: RateLimitOptions) {
    this.table = new BucketTable(options.maxTable, options.burst);
    this.#perMs = options.rate / 1000;
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (ctx.client.transport !== 'udp') return next(ctx);
    const key = this.#key(ctx.client.address);
    if (key === undefined) return next(ctx);
    const now = ctx.now;
    const b = this.table.get(key, now);
    if (now > b.at) {
      b.tokens = Math.min(this.options.burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return next(ctx);
    }
    b.limited++;
    ctx.state.plugin = 'ratelimit';
    const slip = this.options.slip;
    if (slip > 0 && b.limited % slip === 0) {
      this.counts.slipped++;
      return DnsMessage.reply(ctx.request, Rcode.NOERROR, FLAG_TC);
    }
    this.counts.dropped++;
    return NO_REPLY;
  }

  /** The prefix key of an address; undefined for an exempt or unreadable one (never limited). */
  #key(address: string): string | undefined {
    if (address === this.#lastAddress) return this.#lastKey;
    const ip = parseIp(address);
    let key: string | undefined;
    if (ip !== undefined && !this.options.exempt.some((net) => contains(net, ip))) {
      key = prefixKey(ip, ip.family === 4 ? this.options.ipv4Prefix : this.options.ipv6Prefix);
    }
    this.#lastAddress = address;
    this.#lastKey = key;
    return key;
  }
}
