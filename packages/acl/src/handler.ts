import { DnsMessage, NO_REPLY, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { parseIp, type Ip } from './ip.js';
import { decide, type Action, type Rule, type Verdict } from './policy.js';

/** RFC 8914 info-codes: 18 Prohibited (the client may not ask, the case of an ACL), 17 Filtered (as CoreDNS's filter). */
export const EDE_PROHIBITED = 18;
export const EDE_FILTERED = 17;

/** Plain counters; metrics read them at scrape time. Refusals per rule zone. */
export class AclCounts {
  allowed = 0;
  readonly blocked = new Map<string, number>();
  readonly filtered = new Map<string, number>();
  readonly dropped = new Map<string, number>();

  /** Every rule zone starts at 0, so each series exists as soon as the plugin is configured. */
  constructor(zones: Iterable<string> = []) {
    this.addZones(zones);
  }

  addZones(zones: Iterable<string>): void {
    for (const z of zones) for (const m of [this.blocked, this.filtered, this.dropped]) if (!m.has(z)) m.set(z, 0);
  }

  count(action: Exclude<Action, 'allow'>, zone: string): void {
    const m = action === 'block' ? this.blocked : action === 'filter' ? this.filtered : this.dropped;
    m.set(zone, (m.get(zone) ?? 0) + 1);
  }
}

/** Told of every query an acl refuses, blocks or drops (the default policy logs from here). */
export type OnDenied = (ctx: QueryContext, verdict: Verdict) => void;

/**
 * Checks each query against the rules before anything after it sees the query: `allow` passes
 * on, `block` answers REFUSED with EDE 18, `filter` answers NOERROR with no records (NODATA) with
 * EDE 17, `drop` sends nothing (it returns core's NO_REPLY, which the edge drops). Synchronous:
 * a cache hit behind it stays a synchronous hit.
 */
export class AclPlugin implements Plugin {
  readonly name = 'acl';
  /** The last client address and its parse: a busy client costs one string compare. */
  #lastAddress = '';
  #lastIp: Ip | undefined;
  /**
   * When no rule names zones of its own (the default policy, and most acls), the verdict depends
   * on the client and the type only: the last one is kept, so a busy client costs two compares and
   * no allocation per query (a cache hit stays as cheap as it was).
   */
  readonly #byClientOnly: boolean;
  #lastVerdictAddress = '';
  #lastVerdictType = -1;
  #lastVerdict: Verdict | undefined;

  constructor(readonly rules: Rule[], readonly counts: AclCounts, readonly onDenied?: OnDenied) {
    this.#byClientOnly = rules.every((r) => r.blockZones && r.zones.length === 1);
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const verdict = this.#decide(ctx);
    if (verdict.action === 'allow') {
      this.counts.allowed++;
      return next(ctx);
    }
    this.counts.count(verdict.action, verdict.zone);
    this.onDenied?.(ctx, verdict);
    ctx.state.plugin = 'acl';
    switch (verdict.action) {
      case 'filter':
        ctx.state.ede = EDE_FILTERED;
        return DnsMessage.reply(ctx.request, Rcode.NOERROR);
      case 'drop':
        return NO_REPLY;
      default:
        ctx.state.ede = EDE_PROHIBITED;
        return DnsMessage.reply(ctx.request, Rcode.REFUSED);
    }
  }

  #decide(ctx: QueryContext): Verdict {
    const address = ctx.client.address;
    const qtype = ctx.request.qtype;
    if (this.#byClientOnly && address === this.#lastVerdictAddress && qtype === this.#lastVerdictType) return this.#lastVerdict!;
    const verdict = decide(this.rules, this.#ip(address), qtype, () => ctx.request.question?.lname ?? '.');
    if (this.#byClientOnly) {
      this.#lastVerdictAddress = address;
      this.#lastVerdictType = qtype;
      this.#lastVerdict = verdict;
    }
    return verdict;
  }

  #ip(address: string): Ip | undefined {
    if (address !== this.#lastAddress) {
      this.#lastIp = parseIp(address);
      this.#lastAddress = address;
    }
    return this.#lastIp;
  }
}
