import { CLASS_CH, DnsMessage, FLAG_AA, FLAG_CD, FLAG_RD, Rcode, RRType, typeName, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';

/** Counters the metrics read at scrape time. */
export class ChaosCounts {
  answers = 0;
  refused = 0;
}

/**
 * Answers CH TXT `version.bind`, `version.server`, `authors.bind`, `hostname.bind` and `id.server`
 * from its own strings, with TTL 0. Any other CH query is refused here, so no CH query ever goes
 * further down the chain (to an upstream that would tell its own version). IN queries pass on.
 */
export class ChaosPlugin implements Plugin {
  readonly name = 'chaos';
  readonly counts = new ChaosCounts();
  readonly #answers: ReadonlyMap<string, readonly string[]>;

  constructor(version: string, authors: readonly string[], hostname: string) {
    this.#answers = new Map([
      ['version.bind.', [version]], ['version.server.', [version]], ['authors.bind.', authors],
      ['hostname.bind.', [hostname]], ['id.server.', [hostname]],
    ]);
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const request = ctx.request;
    if (request.qclass !== CLASS_CH) return next(ctx);
    ctx.state.plugin = this.name;
    const q = request.question!;
    const texts = q.type === RRType.TXT ? this.#answers.get(q.lname) : undefined;
    if (texts === undefined) {
      this.counts.refused++;
      return DnsMessage.reply(request, Rcode.REFUSED);
    }
    this.counts.answers++;
    return DnsMessage.fromPacket({
      id: request.id,
      type: 'response',
      flags: FLAG_AA | (request.flags & (FLAG_RD | FLAG_CD)),
      questions: [{ name: q.name, type: typeName(q.type), class: 'CH' }],
      answers: texts.map((text) => ({ name: q.name, type: 'TXT', class: 'CH', ttl: 0, data: [text] })) as never,
    });
  }
}
