import type { Logger } from 'pino';
import type { ServerBlock } from '../block.js';
import { NO_REPLY } from '../chain.js';
import { QueryContext, type ClientInfo } from '../context.js';
import { DnsMessage } from '../message.js';
import type { Clock } from '../units.js';
import { HEADER_SIZE, Rcode } from '../wire/constants.js';
import { finishReply, writeReply } from '../wire/finish.js';
import { WireError } from '../wire/wire-error.js';
import { anyClass, checkQuery, classProblem, onlyIn } from './check-query.js';
import { errorReply } from './error-reply.js';
import type { ZoneRouter } from './route.js';
import { EdgeStats } from './stats.js';

/**
 * A reply for the socket, now or later; undefined means drop; a number is the length of a reply
 * written in place into the slot the transport lent (`ReplySlot`).
 */
export type EdgeResult = Buffer | number | undefined | Promise<Buffer | undefined>;

/**
 * Memory a transport lends for a synchronous reply (the datagram's batch slot); reused per query.
 * The query's own bytes are at `buf[at]` (the reply overwrites them once they are read).
 */
export interface ReplySlot {
  buf: Buffer;
  at: number;
  max: number;
}

/**
 * The edge: what every query and reply goes through between a socket and a chain. It checks the
 * query (`checkQuery`: FORMERR, NOTIMP, BADVERS, REFUSED, drop), picks the server block by zone
 * (REFUSED when none covers the name), runs the chain, and
 * writes the reply for the client with `finishReply` (ID, question case, RA, fresh OPT, fit).
 */
export class Edge {
  readonly stats = new EdgeStats();
  /** Queries inside a chain right now (for draining). */
  inflight = 0;
  closing = false;
  readonly #drained: (() => void)[] = [];

  constructor(public router: ZoneRouter, readonly clock: Clock, readonly logger: Logger) {}

  /**
   * `volatile`: the bytes live in memory the transport reuses once this returns (a batch slot);
   * a query that goes on asynchronously is given its own copy first. `now`: when the transport
   * received the query, if it read the clock already (once per batch).
   */
  handle(bytes: Buffer, client: ClientInfo, volatile = false, slot?: ReplySlot, now = this.clock.now()): EdgeResult {
    const stats = this.stats;
    stats.received++;
    if (this.closing || bytes.length < HEADER_SIZE || (bytes[2]! & 0x80) !== 0) {
      stats.dropped++;
      return undefined;
    }
    const request = new DnsMessage(bytes);
    let block: ServerBlock | undefined;
    try {
      const problem = checkQuery(request, anyClass); // the class is checked against the block below
      if (problem !== undefined) return this.#error(request, problem.rcode, problem.ede, problem.edeText);
      block = this.router.matchWire(request.key, request.questionEnd - 16); // the key starts with the name
    } catch (err) {
      if (err instanceof WireError) return this.#error(request, Rcode.FORMERR);
      throw err;
    }
    // Another class than IN only where a plugin of the block answers it (chaos: CH); never forwarded.
    const wrongClass = classProblem(request, block?.accepts ?? onlyIn);
    if (wrongClass !== undefined) return this.#error(request, wrongClass.rcode, wrongClass.ede, wrongClass.edeText);
    if (block === undefined) return this.#error(request, Rcode.REFUSED);
    const ctx = new QueryContext(request, client, block, now);
    this.inflight++;
    let result;
    try {
      result = block.chain(ctx);
    } catch (err) {
      this.#done();
      return this.#failed(ctx, err);
    }
    if (result instanceof Promise) {
      if (volatile) { request.detach(); client.detach?.(); }
      const owner = block;
      owner.inflight++;
      return result.then(
        (reply) => { owner.inflight--; this.#done(); return this.#finish(ctx, reply) as Buffer | undefined; },
        (err) => { owner.inflight--; this.#done(); return this.#failed(ctx, err); },
      );
    }
    this.#done();
    return this.#finish(ctx, result, slot);
  }

  /** Resolves once no query is inside a chain, or after `timeout` ms. */
  drain(timeout: number): Promise<void> {
    this.closing = true;
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeout);
      this.#drained.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  #done(): void {
    if (--this.inflight === 0 && this.#drained.length > 0) {
      for (const fn of this.#drained.splice(0)) fn();
    }
  }

  #finish(ctx: QueryContext, reply: DnsMessage, slot?: ReplySlot): Buffer | number | undefined {
    if (reply === NO_REPLY) return undefined; // a plugin chose silence (acl drop, ratelimit) and counts it
    const ede = ctx.state.ede;
    const text = ede < 0 ? undefined : ctx.edeText;
    try {
      return slot === undefined
        ? writeReply(ctx.request, reply, ctx.udpSize, ede, text, undefined, 0, 0) as Buffer
        : writeReply(ctx.request, reply, ctx.udpSize, ede, text, slot.buf, slot.at, slot.max, true);
    } catch (err) {
      return this.#failed(ctx, err);
    }
  }

  #failed(ctx: QueryContext, err: unknown): Buffer {
    this.stats.errors++;
    this.logger.debug({ err, name: ctx.request.question?.name }, 'chain failed; answering SERVFAIL');
    return finishReply(ctx.request, DnsMessage.reply(ctx.request, Rcode.SERVFAIL), { limit: ctx.udpSize });
  }

  /** The edge's own answer to a query it does not pass on (see `errorReply`), counted by rcode. */
  #error(request: DnsMessage, rcode: number, ede = -1, edeText?: string): Buffer {
    const stats = this.stats;
    if (rcode === Rcode.FORMERR) stats.formerr++;
    else if (rcode === Rcode.NOTIMP) stats.notimp++;
    else if (rcode === Rcode.BADVERS) stats.badvers++;
    else if (rcode === Rcode.REFUSED) stats.refused++;
    return errorReply(request, rcode, ede, edeText);
  }
}
