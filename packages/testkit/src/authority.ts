import { DnsMessage, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';

// An in-chain stand-in for forward, for tests of the plugins in front of it (cache, prefetch,
// serve_stale): answers that can be slow, held until the test lets them go, fail, or come back
// as any rcode; every query that reaches it is counted.

type Rec = { name: string; type: string; ttl: number; data: unknown };
export interface AuthorityAnswer {
  rcode?: string;
  answers?: Rec[];
  authorities?: Rec[];
  additionals?: Rec[];
  tc?: boolean;
  /** Milliseconds before the answer (default 1). */
  delay?: number;
  /** Reject (as a transport failure) instead of answering. */
  fail?: boolean;
  /** Hold the answer until `release()`; it is built from the table as it is then. */
  hold?: boolean;
}

export interface Authority extends Plugin {
  /** Every query that reached it, "name TYPE". */
  readonly asked: string[];
  /** The same queries, as they came. */
  readonly requests: DnsMessage[];
  set(key: string, a: AuthorityAnswer): void;
  /** Answers every held query; returns how many there were. */
  release(): number;
  /** Queries held right now. */
  readonly held: number;
  /** Drops every pending timer and held query (they never answer). */
  close(): void;
}

/** Answers from a table keyed "name TYPE" (lower case, no dot; "name *" for every type); NXDOMAIN otherwise. */
export function authority(table: Record<string, AuthorityAnswer>): Authority {
  const asked: string[] = [];
  const requests: DnsMessage[] = [];
  const holds: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const lookup = (name: string, type: string): AuthorityAnswer => table[`${name} ${type}`] ?? table[`${name} *`] ?? { rcode: 'NXDOMAIN' };
  return {
    name: 'authority',
    asked,
    requests,
    get held() { return holds.length; },
    set(key, a) { table[key] = a; },
    release() {
      const n = holds.length;
      for (const fn of holds.splice(0)) fn();
      return n;
    },
    close() {
      holds.length = 0;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    handle(ctx: QueryContext, _next: Next) {
      const q = ctx.request.question!;
      const name = q.lname.slice(0, -1);
      const type = ctx.request.qtypeName;
      asked.push(`${name} ${type}`);
      requests.push(ctx.request);
      const first = lookup(name, type);
      return new Promise<DnsMessage>((resolve, reject) => {
        const answer = (a: AuthorityAnswer): void => {
          if (a.fail) { reject(new Error('upstream failed')); return; }
          resolve(DnsMessage.fromPacket({
            type: 'response', id: ctx.request.id,
            flags: 0x8400 | (a.tc ? 0x0200 : 0) | (Rcode[(a.rcode ?? 'NOERROR') as keyof typeof Rcode] & 0xf),
            questions: [{ name: q.name, type }],
            answers: a.answers ?? [], authorities: a.authorities ?? [], additionals: a.additionals ?? [],
          }));
        };
        if (first.hold) { holds.push(() => answer({ ...lookup(name, type), hold: false })); return; }
        const t = setTimeout(() => { timers.delete(t); answer(first); }, first.delay ?? 1);
        timers.add(t);
      });
    },
  };
}

export const soa = (zone: string, ttl: number, minimum: number): Rec => ({
  name: zone, type: 'SOA', ttl,
  data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});

export const a = (name: string, ttl: number, data = '10.0.0.1'): Rec => ({ name, type: 'A', ttl, data });
export const cname = (name: string, ttl: number, target: string): Rec => ({ name, type: 'CNAME', ttl, data: target });

/** `n` A records for one name (10.1.x.y). */
export const aRecords = (name: string, n: number, ttl: number): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ name, type: 'A', ttl, data: `10.1.${i >> 8}.${i & 255}` }));
