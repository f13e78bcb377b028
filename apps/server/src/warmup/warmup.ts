import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { DnsServer, loadBlocks, parseCorefile, type Clock, type Duration, type PluginRegistry } from '@dnsmesh/core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { applyBlockDefaults } from '../defaults.js';
import { warmupAnswer } from './answers.js';
import { WARMUP_ZONES, warmupQuery } from './queries.js';

/**
 * Why a fresh process warms up before it serves: V8 runs new code in its interpreter and compiles
 * the hot functions only after they have run a while. Measured with bench/flood-timeline.mjs, a
 * fresh dnsmesh met by a flood of 8,000 new names a second spent its first 1.5 s compiling on the
 * core it serves from, and the queue that built up was 150-450 ms deep (Unbound: 0.3-5 ms); after
 * 2,000 queries of other names, the same flood was as fast as Unbound's from its first answer.
 *
 * So, before the real listeners open, a private server block (`cache` and `forward`, on loopback
 * port 0, with its own metrics and a silent log) is asked `queries` queries by an in-process client
 * and answered by an in-process upstream (./answers.ts): new names (the miss path) and the same
 * names again (the hit path), through the same transport the real server will use. Nothing leaves
 * the process's loopback sockets, nothing reaches the real upstreams, and it is all closed before
 * the Corefile's blocks start.
 */
export interface WarmupOptions {
  /** Queries to ask in all: half new names, half the same names again. 0: no warm-up. */
  readonly queries: number;
  readonly registry: PluginRegistry;
  readonly clock: Clock;
  /** false: Node's dgram, as the real server then uses (-udp.batch=false). */
  readonly udpBatch: boolean;
  /** The warm-up ends after this, done or not. */
  readonly timeLimit: Duration;
}

export interface WarmupResult {
  /** Queries sent, and answers received, by the in-process client. */
  readonly asked: number;
  readonly answered: number;
  /** Queries the in-process upstream answered: the misses (a name asked again is a cache hit). */
  readonly upstream: number;
  readonly elapsed: Duration;
}

/** New names per round; each round also asks the previous round's names again (hits). */
export const WARMUP_ROUND = 32;
/** A round whose answers have not all come by then is left behind (loopback loses nothing, but bound it). */
const ROUND_TIMEOUT: Duration = 500;

/**
 * Passes of the warm-up, each on a private server of its own, the queries shared between them. Why
 * more than one: the end of a pass (its sockets and server closing) is the first time V8 sees those
 * objects change that way, and it throws away the compiled code that assumed they would not (with
 * `--trace-deopt`: Node's dgram send, the upstream exchange, the forward and edge handlers, all
 * "code dependencies" at the first pass's end). A second pass compiles them again under what V8
 * now knows, and its own end changes nothing more. Measured with `--trace-opt` on the flood of new
 * names that follows: 50-60 functions compiled in its first seconds after one pass, 31-36 after two.
 */
export const WARMUP_PASSES = 2;

export async function warmUp(opts: WarmupOptions): Promise<WarmupResult> {
  const start = opts.clock.now();
  let asked = 0;
  let answered = 0;
  let upstream = 0;
  for (let pass = 0; pass < WARMUP_PASSES && asked < opts.queries; pass++) {
    const share = Math.ceil((opts.queries - asked) / (WARMUP_PASSES - pass));
    const r = await warmUpOnce({ ...opts, queries: share }, start);
    asked += r.asked;
    answered += r.answered;
    upstream += r.upstream;
    if (r.asked < share) break; // the time limit ended it
  }
  return { asked, answered, upstream, elapsed: opts.clock.now() - start };
}

/** One pass: a private server, upstream and client, `opts.queries` queries, all closed again. */
async function warmUpOnce(opts: WarmupOptions, start: number): Promise<Omit<WarmupResult, 'elapsed'>> {
  const upstream = await bindLoopback();
  let upstreamAnswers = 0;
  upstream.on('message', (q, from) => {
    const reply = warmupAnswer(q);
    if (reply === undefined) return;
    upstreamAnswers++;
    upstream.send(reply, from.port, from.address);
  });
  const logger = pino({ level: 'silent' });
  const metrics = new Registry();
  let server: DnsServer | undefined;
  try {
    const corefile = warmupCorefile(upstream.address().port);
    const blocks = await loadBlocks(parseCorefile(corefile, 'warm-up'), { registry: opts.registry, clock: opts.clock, logger, metrics, defaultPort: 0 });
    applyBlockDefaults(blocks, opts.registry);
    server = new DnsServer(blocks, opts.clock, logger, metrics);
    if (!opts.udpBatch) server.udp = 'dgram';
    await server.start();
    const { asked, answered } = await ask(server.port, opts, start);
    return { asked, answered, upstream: upstreamAnswers };
  } finally {
    await server?.stop(0);
    upstream.close();
  }
}

/**
 * Two blocks on one port: one with small caches (so the warm-up also evicts: a flood's first
 * evictions otherwise threw compiled code away) and 4 upstream sockets (so tries wait for a socket,
 * and spent sockets are replaced, as under a flood: a socket's first retirement otherwise threw the
 * reply path's code away); one with the defaults.
 *
 * Why two: V8 compiles a call for the one function it has seen there, and the real blocks' plugins
 * are other function objects, so code warmed on one block alone was thrown away and compiled again
 * in the flood's first half second (measured with --trace-deopt: 14 deoptimisations, about 80
 * compiles). Having seen two, V8 compiles code that takes any function made at the same place. So
 * each plugin is in both blocks: `prometheus` in one only left its call to the next plugin seeing
 * one function, and the real block's next plugin threw that code away at its first query.
 */
function warmupCorefile(upstreamPort: number): string {
  const [a, b] = WARMUP_ZONES;
  return `${a}:0 {
    bind 127.0.0.1
    prometheus 127.0.0.1:0
    cache {
        success 200 3600 5
        denial 100 300 5
    }
    forward . 127.0.0.1:${upstreamPort} {
        max_udp_sockets 4
    }
}
${b}:0 {
    bind 127.0.0.1
    prometheus 127.0.0.1:0
    cache
    forward . 127.0.0.1:${upstreamPort}
}
`;
}

/** Rounds of WARMUP_ROUND new names plus the last round's again, each awaited, within the limits. */
async function ask(port: number, opts: WarmupOptions, start: number): Promise<{ asked: number; answered: number }> {
  const client = await bindLoopback();
  let asked = 0;
  let answered = 0;
  // The round in flight: IDs firstId..firstId+size-1 (mod 2^16); a late answer to an earlier round is not counted.
  let firstId = 0;
  let size = 0;
  let waiting = 0;
  let roundDone: (() => void) | undefined;
  client.on('message', (reply) => {
    if (reply.length < 12 || ((reply.readUInt16BE(0) - firstId) & 0xffff) >= size) return;
    answered++;
    if (--waiting === 0) roundDone?.();
  });
  try {
    for (let first = 0; asked < opts.queries && opts.clock.now() - start < opts.timeLimit; first += WARMUP_ROUND) {
      const names = [];
      for (let i = first; i < first + WARMUP_ROUND; i++) names.push(i);
      if (first > 0) for (let i = first - WARMUP_ROUND; i < first; i++) names.push(i);
      const round = names.slice(0, opts.queries - asked);
      const done = new Promise<void>((resolve) => { roundDone = resolve; });
      firstId = asked & 0xffff;
      size = round.length;
      waiting = size;
      for (const i of round) client.send(warmupQuery(i, asked++), port, '127.0.0.1');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((resolve) => { timer = setTimeout(resolve, ROUND_TIMEOUT); })]);
      clearTimeout(timer);
      waiting = 0;
      size = 0;
    }
    return { asked, answered };
  } finally {
    client.close();
  }
}

/**
 * A socket of this process's own: `exclusive`, or in a worker of -workers N the primary would hand
 * every 127.0.0.1:0 socket the same shared handle (the client would then read the upstream's queries).
 */
async function bindLoopback(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.bind({ port: 0, address: '127.0.0.1', exclusive: true });
  await once(socket, 'listening');
  return socket;
}
