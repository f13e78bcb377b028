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
 * What a stream transport (TCP, TLS) asks for instead of a slot: every reply, now or later, comes
 * as a new Buffer with `headroom` free bytes before the message (for its 2-byte length), so a
 * reply is written once, into the memory it is sent from.
 */
export interface ReplyFrame {
  readonly headroom: number;
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
   * received the query, if it read the clock already (once per batch). `slot`: memory for a
   * synchronous reply (a number comes back), or a `ReplyFrame` (every Buffer comes with headroom).
   */
  handle(bytes: Buffer, client: ClientInfo, volatile = false, slot?: ReplySlot | ReplyFrame, now = this.clock.now()): EdgeResult {
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
      if (problem !== undefined) return framed(this.#error(request, problem.rcode, problem.ede, problem.edeText), slot);
      block = this.router.matchWire(request.key, request.questionEnd - 16); // the key starts with the name
    } catch (err) {
      if (err instanceof WireError) return framed(this.#error(request, Rcode.FORMERR), slot);
      throw err;
    }
    // Another class than IN only where a plugin of the block answers it (chaos: CH); never forwarded.
    const wrongClass = classProblem(request, block?.accepts ?? onlyIn);
    if (wrongClass !== undefined) return framed(this.#error(request, wrongClass.rcode, wrongClass.ede, wrongClass.edeText), slot);
    if (block === undefined) return framed(this.#error(request, Rcode.REFUSED), slot);
    const ctx = new QueryContext(request, client, block, now);
    this.inflight++;
    let result;
    try {
      result = block.chain(ctx);
    } catch (err) {
      this.#done();
      return framed(this.#failed(ctx, err), slot);
    }
    if (result instanceof Promise) {
      if (volatile) { request.detach(); client.detach?.(); }
      const owner = block;
      owner.inflight++;
      // A slot is only lent for the time of this call; a frame stays good.
      const frame = slot !== undefined && !isSlot(slot) ? slot : undefined;
      return result.then(
        (reply) => { owner.inflight--; this.#done(); return this.#finish(ctx, reply, frame) as Buffer | undefined; },
        (err) => { owner.inflight--; this.#done(); return framed(this.#failed(ctx, err), frame); },
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

  #finish(ctx: QueryContext, reply: DnsMessage, slot?: ReplySlot | ReplyFrame): Buffer | number | undefined {
    if (reply === NO_REPLY) return undefined; // a plugin chose silence (acl drop, ratelimit) and counts it
    const ede = ctx.state.ede;
    const text = ede < 0 ? undefined : ctx.edeText;
    try {
      if (slot === undefined) return writeReply(ctx.request, reply, ctx.udpSize, ede, text, undefined, 0, 0) as Buffer;
      if (isSlot(slot)) return writeReply(ctx.request, reply, ctx.udpSize, ede, text, slot.buf, slot.at, slot.max, true);
      return writeReply(ctx.request, reply, ctx.udpSize, ede, text, undefined, slot.headroom, 0) as Buffer; // no target: headroom
    } catch (err) {
      return framed(this.#failed(ctx, err), slot);
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

function isSlot(slot: ReplySlot | ReplyFrame): slot is ReplySlot {
  return (slot as ReplySlot).buf !== undefined;
}

/** A reply the edge made on its own (an error), given the frame's headroom when one was asked for. */
function framed(reply: Buffer, slot: ReplySlot | ReplyFrame | undefined): Buffer {
  if (slot === undefined || isSlot(slot) || slot.headroom === 0) return reply;
  const out = Buffer.allocUnsafe(slot.headroom + reply.length);
  reply.copy(out, slot.headroom);
  return out;
}
