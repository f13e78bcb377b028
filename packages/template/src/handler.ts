import { DnsMessage, FLAG_AA, FLAG_CD, FLAG_RD, inZone, Rcode, typeName, type DecodedRecord, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { Compiled, TemplateOptions } from './options.js';
import { parseRecord } from './rr-text.js';

const ANY = 255;
const CLASS_NAMES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 255: 'ANY' };

/** Counters the metrics read at scrape time. */
export class TemplateCounts {
  answers = 0;
  failures = 0;
}

/**
 * Answers queries of its class, type and zones whose name matches one of its regular
 * expressions, with records rendered from its templates (CoreDNS's template data: `.Name`,
 * `.Zone`, `.Class`, `.Type`, `.Match`, `.Group`, `.Remote`, `.Regex`). A name of its zones that
 * no expression matches gets NXDOMAIN unless `fallthrough` covers it; other queries pass on.
 */
export class TemplatePlugin implements Plugin {
  readonly name = 'template';
  readonly counts = new TemplateCounts();

  constructor(readonly options: TemplateOptions) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const o = this.options;
    const q = ctx.request.question;
    if (q === undefined) return next(ctx);
    const zone = o.zones.filter((z) => inZone(q.lname, z)).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) return next(ctx);
    if (o.qclass !== ANY && q.class !== ANY && q.class !== o.qclass) return next(ctx);
    if (o.qtype !== ANY && q.type !== ANY && q.type !== o.qtype) return next(ctx);
    for (const regex of o.regex) {
      const m = regex.exec(q.lname);
      if (m === null) continue;
      const group: Record<string, string> = {};
      m.forEach((v, i) => { group[String(i)] = v ?? ''; });
      for (const [k, v] of Object.entries(m.groups ?? {})) group[k] = v ?? '';
      const data = {
        Zone: zone, Name: q.lname, Regex: regex.source, Match: [...m].map((v) => v ?? ''), Group: group,
        Class: CLASS_NAMES[q.class] ?? `CLASS${q.class}`, Type: typeName(q.type), Remote: ctx.client.address,
      };
      ctx.state.plugin = this.name;
      try {
        const reply = this.#reply(ctx, data);
        this.counts.answers++;
        // The edge writes it into the reply's OPT when the client sent one (RFC 6891 §7: no OPT otherwise).
        if (o.ede !== undefined) ctx.setEde(o.ede.code, o.ede.reason);
        return reply;
      } catch (err) {
        this.counts.failures++;
        ctx.failure = `template: ${(err as Error).message}`;
        return DnsMessage.reply(ctx.request, Rcode.SERVFAIL);
      }
    }
    if (o.fallthrough.some((z) => inZone(q.lname, z))) return next(ctx);
    ctx.state.plugin = this.name;
    return DnsMessage.reply(ctx.request, Rcode.NXDOMAIN, FLAG_AA);
  }

  #reply(ctx: QueryContext, data: object): DnsMessage {
    const o = this.options;
    const render = (list: readonly Compiled[]): DecodedRecord[] => list.map((t) => parseRecord(t.render(data as Record<string, unknown>)));
    const request = ctx.request;
    const q = request.question!;
    const answers = render(o.answer);
    const authorities = render(o.authority);
    const additionals = render(o.additional);
    if (answers.length + authorities.length + additionals.length === 0) return DnsMessage.reply(request, o.rcode, FLAG_AA);
    return DnsMessage.fromPacket({
      id: request.id,
      type: 'response',
      flags: FLAG_AA | (request.flags & (FLAG_RD | FLAG_CD)) | (o.rcode & 0xf),
      questions: [{ name: q.name === '' ? '.' : q.name, type: typeName(q.type), class: CLASS_NAMES[q.class] ?? 'IN' }],
      answers, authorities, additionals,
    } as never);
  }
}
