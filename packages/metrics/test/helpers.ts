import { DnsMessage, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';

export interface AnswerOptions {
  /** Answer after this many ms (a promise) instead of at once. */
  readonly delay?: number;
  /** What to put in ctx.state.upstream, as forward would. */
  readonly upstream?: string;
  /** The name this plugin gives itself in ctx.state.plugin (undefined: leave it unset). */
  readonly plugin?: string;
}

/**
 * Stands where forward would, with no network: `nx.*` is NXDOMAIN, `fail.*` throws (or rejects
 * when delayed), `empty.*` is NODATA, anything else gets one A (10.0.0.1) or AAAA (fd00::1) record
 * with TTL 30, and no records for other types.
 * Answers synchronously unless `delay` is given. Counts the queries that reach it.
 */
export function answer(opts: AnswerOptions = {}): Plugin & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: 'answer',
    asked,
    handle(ctx: QueryContext, _next: Next) {
      const q = ctx.request.question!;
      asked.push(`${q.lname} ${ctx.request.qtypeName}`);
      const build = (): DnsMessage => {
        if (q.lname.startsWith('fail.')) throw new Error(`boom for ${q.lname}`);
        if (opts.upstream !== undefined) ctx.state.upstream = opts.upstream;
        if (opts.plugin !== undefined) ctx.state.plugin = opts.plugin;
        const nx = q.lname.startsWith('nx.');
        const empty = q.lname.startsWith('empty.');
        const qtype = ctx.request.qtypeName;
        const data = qtype === 'A' ? '10.0.0.1' : qtype === 'AAAA' ? 'fd00::1' : undefined;
        const answers = nx || empty || data === undefined ? [] : [{ name: q.name, type: qtype, ttl: 30, data }];
        const authorities = nx || empty ? [{ name: 'test', type: 'SOA' as const, ttl: 60, data: { mname: 'ns.test', rname: 'hostmaster.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }] : [];
        return DnsMessage.fromPacket({
          type: 'response', id: ctx.request.id, flags: 0x8400 | (nx ? Rcode.NXDOMAIN : 0),
          questions: [{ name: q.name, type: ctx.request.qtypeName as 'A' }], answers, authorities,
        });
      };
      if (opts.delay === undefined) return build();
      return new Promise((resolve, reject) => setTimeout(() => { try { resolve(build()); } catch (e) { reject(e); } }, opts.delay));
    },
  };
}

/** A pino destination that keeps every line, parsed. */
export function capture(): { write(line: string): void; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write(line: string) { lines.push(JSON.parse(line) as Record<string, unknown>); } };
}

/** One series of a Prometheus text exposition. */
export interface Series { name: string; labels: Record<string, string>; value: number }

export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Scrapes `/metrics` and returns the series. */
export async function scrape(base: string): Promise<{ text: string; series: Series[] }> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return { text, series: parseExposition(text) };
}

/** The sum of the series of `name` whose labels include `labels` (undefined when there is none). */
export function value(series: Series[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((n, s) => n + s.value, 0);
}
