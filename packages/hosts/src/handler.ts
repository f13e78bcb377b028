import {
  CLASS_IN, DnsMessage, FLAG_AA, FLAG_CD, FLAG_RD, inZone, Rcode, RRType, typeName,
  type Next, type Plugin, type QueryContext,
} from '@dnsmesh/core';
import type { HostsOptions } from './options.js';
import type { HostsTable } from './table.js';

/** Counters the metrics read at scrape time (plain fields: the hot path only adds one). */
export class HostsCounts {
  answers = 0;
  nxdomain = 0;
}

/**
 * Answers A and AAAA for the names it lists (NODATA for their other types), PTR for their
 * addresses, and NXDOMAIN for other names of its zones unless `fallthrough` covers them; what is
 * outside its zones goes on down the chain. Every reply is a new message built for this query:
 * nothing shared is changed.
 */
export class HostsPlugin implements Plugin {
  readonly name = 'hosts';
  readonly counts = new HostsCounts();

  /** What it answers from: replaced whole when the hosts file changes (`reload`). */
  table: HostsTable;

  constructor(readonly options: HostsOptions) {
    this.table = options.table;
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const q = ctx.request.question;
    if (q === undefined || q.class !== CLASS_IN) return next(ctx);
    const { zones, ttl, reverse, fallthrough } = this.options;
    const table = this.table;
    if (q.type === RRType.PTR && reverse) {
      // Reverse names need no zone of ours (as CoreDNS's hosts): the address is what we know.
      const names = table.namesFor(q.lname);
      if (names !== undefined) return this.#answer(ctx, names.map((data) => ({ type: 'PTR', data })), ttl);
    }
    if (!zones.some((z) => inZone(q.lname, z))) return next(ctx);
    const entry = table.get(q.lname);
    if (entry === undefined) {
      if (fallthrough.some((z) => inZone(q.lname, z))) return next(ctx);
      this.counts.nxdomain++;
      ctx.state.plugin = this.name;
      return DnsMessage.reply(ctx.request, Rcode.NXDOMAIN, FLAG_AA);
    }
    const addresses = q.type === RRType.A ? entry.v4 : q.type === RRType.AAAA ? entry.v6 : [];
    return this.#answer(ctx, addresses.map((data) => ({ type: typeName(q.type), data })), ttl); // [] is NODATA
  }

  #answer(ctx: QueryContext, records: { type: string; data: string }[], ttl: number): DnsMessage {
    const request = ctx.request;
    const q = request.question!;
    this.counts.answers++;
    ctx.state.plugin = this.name;
    if (records.length === 0) return DnsMessage.reply(request, Rcode.NOERROR, FLAG_AA); // NODATA
    return DnsMessage.fromPacket({
      id: request.id,
      type: 'response',
      flags: FLAG_AA | (request.flags & (FLAG_RD | FLAG_CD)),
      questions: [{ name: q.name, type: typeName(q.type), class: 'IN' }],
      answers: records.map((r) => ({ name: q.name, type: r.type, class: 'IN', ttl, data: r.type === 'PTR' ? r.data.slice(0, -1) : r.data })),
    });
  }
}
