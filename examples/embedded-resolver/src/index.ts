import { cache } from '@dnsmesh/cache';
import { after, createServer, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';

/** One query as the recorder saw it: the name and type asked, and how the chain answered. */
export interface SeenQuery {
  readonly name: string;
  readonly type: string;
  rcode: string;
  /** The cache's decision: 'hit', 'miss', 'coalesced', ... */
  cache: string;
}

/**
 * A plugin instance written inline, with no package and no Corefile: it records every query and
 * how it was answered, so a test can check what the app under test looked up. It only reads the
 * reply (never changes it: a cached reply is shared) and keeps a synchronous answer synchronous.
 */
export class QueryRecorder implements Plugin {
  readonly name = 'recorder';
  readonly seen: SeenQuery[] = [];

  constructor(readonly onAnswer?: (query: SeenQuery) => void) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const entry: SeenQuery = { name: ctx.request.question?.name ?? '', type: ctx.request.qtypeName, rcode: '', cache: '' };
    this.seen.push(entry);
    return after(next(ctx), (reply) => {
      entry.rcode = reply.rcodeName;
      entry.cache = ctx.state.cache;
      this.onAnswer?.(entry);
      return reply;
    });
  }
}

export interface ResolverOptions {
  /** Where queries the cache cannot answer go ("127.0.0.1:5300"). */
  readonly upstreams: readonly string[];
  /** Zones to answer (default: every name). */
  readonly zones?: readonly string[];
  /** UDP and TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The cache's floor for answer TTLs, in seconds (default 5, as the Corefile's). */
  readonly minTtl?: number;
  /** Called with each query once it is answered. */
  readonly onAnswer?: (query: SeenQuery) => void;
}

export interface EmbeddedResolver {
  /** "127.0.0.1:PORT": point the app's resolver here. */
  readonly address: string;
  readonly port: number;
  /** Every query so far, in order. */
  readonly queries: readonly SeenQuery[];
  stop(): Promise<void>;
}

/**
 * Starts recorder -> cache -> forward on 127.0.0.1: the same plugins the `dnsmesh` binary builds
 * from a Corefile, here as code, in the order given.
 *
 * @example
 * const dns = await startResolver({ upstreams: ['127.0.0.1:8600'] });
 * // ... run the app against dns.address ...
 * expect(dns.queries.map((q) => q.name)).toContain('db.service.consul');
 * await dns.stop();
 */
export async function startResolver(opts: ResolverOptions): Promise<EmbeddedResolver> {
  const recorder = new QueryRecorder(opts.onAnswer);
  const server = await createServer({
    zones: opts.zones ?? ['.'],
    port: opts.port ?? 0,
    bind: ['127.0.0.1'],
    plugins: [recorder, cache({ success: { minTtl: opts.minTtl ?? 5 } }), forward({ to: [...opts.upstreams] })],
  }).start();
  return { address: server.address, port: server.port, queries: recorder.seen, stop: () => server.stop() };
}
