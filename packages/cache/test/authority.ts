import { DnsMessage, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';

type Rec = { name: string; type: string; ttl: number; data: unknown };
export interface Answer { rcode?: string; answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[]; tc?: boolean; delay?: number; fail?: boolean }

/**
 * Stands where forward would: answers from a table keyed "name TYPE" (lower case, no dot), counts
 * every query that reaches it, and can be slow or fail. The cache is what is under test.
 */
export function authority(table: Record<string, Answer>): Plugin & { asked: string[]; set(key: string, a: Answer): void } {
  const asked: string[] = [];
  return {
    name: 'authority',
    asked,
    set(key, a) { table[key] = a; },
    handle(ctx: QueryContext, _next: Next) {
      const q = ctx.request.question!;
      const key = `${q.lname.slice(0, -1)} ${ctx.request.qtypeName}`;
      asked.push(key);
      const a = table[key] ?? table[`${q.lname.slice(0, -1)} *`] ?? { rcode: 'NXDOMAIN' };
      const build = () => {
        if (a.fail) throw new Error('upstream failed');
        return DnsMessage.fromPacket({
          type: 'response', id: ctx.request.id, flags: 0x8400 | (a.tc ? 0x0200 : 0) | (Rcode[(a.rcode ?? 'NOERROR') as keyof typeof Rcode] & 0xf),
          questions: [{ name: q.name, type: ctx.request.qtypeName }],
          answers: a.answers ?? [], authorities: a.authorities ?? [], additionals: a.additionals ?? [],
        });
      };
      return new Promise((resolve, reject) => setTimeout(() => { try { resolve(build()); } catch (e) { reject(e); } }, a.delay ?? 1));
    },
  };
}

export const soa = (zone: string, ttl: number, minimum: number): Rec => ({
  name: zone, type: 'SOA', ttl,
  data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});

export const aRecords = (name: string, n: number, ttl: number): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ name, type: 'A', ttl, data: `10.1.${i >> 8}.${i & 255}` }));
