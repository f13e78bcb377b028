import type { Logger } from 'pino';
import type { ServerBlock } from '../block.js';
import { QueryContext, type ClientInfo } from '../context.js';
import { DnsMessage } from '../message.js';
import type { Clock } from '../units.js';
import { CLASS_IN, FLAG_QR, FLAG_TC, HEADER_SIZE, MIN_UDP_SIZE, Opcode, Rcode } from '../wire/constants.js';
import { finishReply, writeReply } from '../wire/finish.js';
import { WireError } from '../wire/wire-error.js';
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
 * query (FORMERR, NOTIMP, BADVERS, drop), picks the server block by zone, runs the chain, and
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
    const limit = client.transport === 'tcp' ? 65535 : MIN_UDP_SIZE;
    let block: ServerBlock | undefined;
    try {
      const problem = checkQuery(request);
      if (problem !== undefined) return this.#error(request, problem, limit);
      block = this.router.matchWire(request.key, request.questionEnd - 16); // the key starts with the name
    } catch (err) {
      if (err instanceof WireError) return this.#error(request, Rcode.FORMERR, limit);
      throw err;
    }
    // Another class than IN only where a plugin of the block answers it (chaos: CH); never forwarded.
    if (block === undefined || (request.qclass !== CLASS_IN && !block.accepts(request.qclass))) {
      stats.refused++;
      return this.#error(request, Rcode.REFUSED, limit);
    }
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
        (reply) => { owner.inflight--; this.#done(); return this.#finish(ctx, reply) as Buffer; },
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

  #finish(ctx: QueryContext, reply: DnsMessage, slot?: ReplySlot): Buffer | number {
    try {
      return slot === undefined
        ? writeReply(ctx.request, reply, ctx.udpSize, ctx.state.ede, undefined, undefined, 0, 0) as Buffer
        : writeReply(ctx.request, reply, ctx.udpSize, ctx.state.ede, undefined, slot.buf, slot.at, slot.max, true);
    } catch (err) {
      return this.#failed(ctx, err);
    }
  }

  #failed(ctx: QueryContext, err: unknown): Buffer {
    this.stats.errors++;
    this.logger.debug({ err, name: ctx.request.question?.name }, 'chain failed; answering SERVFAIL');
    return finishReply(ctx.request, DnsMessage.reply(ctx.request, Rcode.SERVFAIL), { limit: ctx.udpSize });
  }

  #error(request: DnsMessage, rcode: number, limit: number): Buffer | undefined {
    if (rcode === Rcode.FORMERR) this.stats.formerr++;
    else if (rcode === Rcode.NOTIMP) this.stats.notimp++;
    else if (rcode === Rcode.BADVERS) this.stats.badvers++;
    let reply: DnsMessage;
    try {
      reply = DnsMessage.reply(request, rcode);
      // Only echo an OPT we could read; a broken one gets a reply without.
      let clientLimit = limit;
      try {
        const edns = request.edns;
        if (edns !== undefined && limit < 65535) clientLimit = Math.max(MIN_UDP_SIZE, Math.min(edns.udpSize, 4096));
      } catch {
        return stripQuestionReply(request, rcode);
      }
      return finishReply(request, reply, { limit: clientLimit });
    } catch {
      return stripQuestionReply(request, rcode);
    }
  }
}

/**
 * Checks a query the way Unbound does: one question, no answer or authority records, at most one
 * additional (the OPT), TC clear, opcode QUERY, EDNS version 0. Returns the rcode to answer with,
 * or undefined when the query is fine. Throws WireError when it does not parse (FORMERR).
 */
function checkQuery(request: DnsMessage): number | undefined {
  if (request.opcode !== Opcode.QUERY) return Rcode.NOTIMP;
  const flags = request.flags;
  if ((flags & FLAG_TC) !== 0) return Rcode.FORMERR;
  if (request.qdcount !== 1 || request.ancount !== 0 || request.nscount !== 0 || request.arcount > 1) return Rcode.FORMERR;
  request.checkQueryTail(); // the question and the OPT: throws on a bad name, label, pointer or record
  const edns = request.edns;
  if (edns !== undefined && edns.version !== 0) return Rcode.BADVERS;
  return undefined;
}

/** A reply with only a header, for a query whose question cannot be read. */
function stripQuestionReply(request: DnsMessage, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  request.bytes.copy(out, 0, 0, 2);
  out.writeUInt16BE(FLAG_QR | (request.flags & 0x7900) | (rcode & 0xf), 2);
  return out;
}
