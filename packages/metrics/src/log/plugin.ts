import { inZone, Rcode, rcodeName, type Clock, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { Logger } from 'pino';
import type { LogClass, LogOptions } from './setup.js';

/** One query log line. Optional fields are left out when unset. */
export interface QueryLine {
  name: string;
  type: string;
  client: string;
  port: number;
  proto: string;
  rcode: string;
  duration_ms: number;
  cache: string;
  upstream?: string;
  stored?: string;
  plugin?: string;
  error?: string;
}

/**
 * Writes one JSON line per query once its reply is known: the question, the client, the rcode,
 * the time spent, and what the chain decided (`cache`, `upstream`, `stored`). A synchronous
 * answer stays synchronous. A chain that throws is logged as SERVFAIL (what the edge answers)
 * and the error passes on.
 */
export class LogPlugin implements Plugin {
  readonly name = 'log';
  readonly #everything: boolean;
  readonly #allClasses: boolean;

  constructor(readonly options: LogOptions, readonly logger: Logger, readonly clock: Clock) {
    this.#everything = options.names.includes('.');
    this.#allClasses = options.classes.size === 3;
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (!this.#everything && !this.#covers(ctx.request.question!.lname)) return next(ctx);
    let result: DnsMessage | Promise<DnsMessage>;
    try {
      result = next(ctx);
    } catch (err) {
      this.#failed(ctx, err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then((reply) => this.#answered(ctx, reply), (err: unknown) => { this.#failed(ctx, err); throw err; });
    }
    return this.#answered(ctx, result);
  }

  #answered(ctx: QueryContext, reply: DnsMessage): DnsMessage {
    let rcode: number;
    try { rcode = reply.rcode; } catch { rcode = reply.flags & 0xf; }
    if (this.#allClasses || this.options.classes.has(classify(rcode, reply))) this.#write(ctx, rcode, undefined);
    return reply;
  }

  #failed(ctx: QueryContext, err: unknown): void {
    if (this.#allClasses || this.options.classes.has('error')) this.#write(ctx, Rcode.SERVFAIL, err);
  }

  #write(ctx: QueryContext, rcode: number, err: unknown): void {
    const state = ctx.state;
    const line: QueryLine = {
      name: ctx.request.question!.name,
      type: ctx.request.qtypeName,
      client: ctx.client.address,
      port: ctx.client.port,
      proto: ctx.client.transport,
      rcode: rcodeName(rcode),
      duration_ms: Math.round((this.clock.now() - ctx.now) * 1000) / 1000,
      cache: state.cache,
    };
    if (state.upstream !== undefined) line.upstream = state.upstream;
    if (state.stored !== undefined) line.stored = state.stored;
    if (state.plugin !== undefined) line.plugin = state.plugin;
    if (err !== undefined) line.error = (err as Error)?.message ?? String(err);
    this.logger.info(line);
  }

  #covers(lname: string): boolean {
    for (const zone of this.options.names) if (inZone(lname, zone)) return true;
    return false;
  }
}

/** CoreDNS's classes: NOERROR with answers is success; NXDOMAIN and NODATA are denial; the rest error. */
export function classify(rcode: number, reply: DnsMessage): LogClass {
  if (rcode === Rcode.NOERROR) return reply.ancount > 0 ? 'success' : 'denial';
  if (rcode === Rcode.NXDOMAIN) return 'denial';
  return 'error';
}
