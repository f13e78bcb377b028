import type net from 'node:net';
import type { ClientInfo } from '../context.js';
import type { Edge, ReplyFrame } from './edge.js';
import type { TcpCounts, TcpOptions } from './tcp-options.js';

const EMPTY = Buffer.alloc(0);

/** The edge leaves room for each reply's 2-byte length, so a reply is written once (no copy to frame it). */
const FRAME: ReplyFrame = { headroom: 2 };

/**
 * How much one connection does before it lets the event loop go round (UDP batches, the other
 * connections, timers): queries handled, and reply bytes handed to the socket. A write the kernel
 * takes at once calls back before the loop moves on, and the callback reads the next queries: a
 * client pipelining queries for a 62 KB answer held the loop for as long as the kernel took its
 * replies (~80 ms here; UDP clients waited as long). 256 KB is a few such replies, about a ms.
 */
export const TURN_QUERIES = 32;
export const TURN_BYTES = 256 * 1024;

/** What a connection needs from its listener: the options, the counters, the shared unsent total. */
export interface ConnectionHost {
  readonly edge: Edge;
  readonly opts: TcpOptions;
  readonly counts: TcpCounts;
  /** A query's frame came in whole: the connection is doing useful work (eviction picks the stalest). */
  progressed(conn: TcpConnection): void;
  /** The connection is gone: forget it. Called once. */
  released(conn: TcpConnection): void;
}

/**
 * One client's TCP connection (RFC 7766): 2-byte length framing, up to `maxInflight` queries in
 * flight (in the chain, or with a reply not yet written out), answered as each is ready. Reading
 * pauses at that many, or while more than `maxUnsent` reply bytes wait for the client to read
 * (backpressure), and resumes as replies are written out. A frame must be whole within
 * `frameTimeout` of its first byte; with nothing in the chain, `idleTimeout` without a byte read or
 * written closes the connection (a client that never reads its replies included).
 */
export class TcpConnection {
  /** Queries inside the chain now. */
  inChain = 0;
  /** Queries in the chain or with their reply not yet written out. */
  #inflight = 0;
  /** Reply bytes handed to the socket and not yet taken by the kernel. */
  #unsent = 0;
  /** Bytes read and not yet handled: a partial frame, or whole ones waiting while reading is paused. */
  #pending: Buffer = EMPTY;
  #frameTimer: NodeJS.Timeout | undefined;
  #paused = false;
  /**
   * Queries handled and reply bytes written since this connection last yielded: counted across
   * turns (no per-turn reset), so a busy connection yields once per TURN_QUERIES or TURN_BYTES.
   */
  #turnQueries = 0;
  #turnBytes = 0;
  /** Set while the rest waits for the next turn of the loop (reading is paused meanwhile). */
  #later: NodeJS.Immediate | undefined;
  #released = false;

  constructor(readonly socket: net.Socket, readonly client: ClientInfo, readonly key: string, readonly host: ConnectionHost) {
    socket.setNoDelay(true);
    socket.setTimeout(host.opts.idleTimeout, () => this.#idle());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.#release());
  }

  get unsent(): number {
    return this.#unsent;
  }

  get inflight(): number {
    return this.#inflight;
  }

  get closed(): boolean {
    return this.#released;
  }

  /** Closes at once (replies not yet written are dropped). */
  destroy(): void {
    this.socket.destroy();
    this.#release();
  }

  /** Takes new limits (a reload): the idle timeout applies from the next activity. */
  reconfigure(): void {
    this.socket.setTimeout(this.host.opts.idleTimeout);
    this.#maybeResume();
  }

  #onData(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#handleFrames();
  }

  /** Handles the whole frames read so far, up to the in-flight cap and this turn's share; keeps the rest. */
  #handleFrames(): void {
    const buf = this.#pending;
    let at = 0;
    while (!this.#paused && !this.#released && !this.socket.destroyed && this.#later === undefined && buf.length - at >= 2) {
      if (this.#turnQueries >= TURN_QUERIES || this.#turnBytes >= TURN_BYTES) {
        this.#continueLater();
        break;
      }
      const len = buf.readUInt16BE(at);
      if (buf.length - at - 2 < len) break;
      // Its own copy: the query may outlive this read, and must not hold the whole chunk.
      const msg = Buffer.from(buf.subarray(at + 2, at + 2 + len));
      at += 2 + len;
      this.#frameDone();
      this.#query(msg);
    }
    if (this.#released) return;
    // What is left is small (at most a frame and one read): keep a copy, not the whole read buffer.
    this.#pending = at === 0 ? buf : at === buf.length ? EMPTY : Buffer.from(buf.subarray(at));
    this.#watchFrame();
  }

  /** Lets the loop go round, then goes on with the frames left (reading stays paused until then). */
  #continueLater(): void {
    if (this.#later !== undefined) return;
    this.socket.pause();
    this.#later = setImmediate(() => {
      this.#later = undefined;
      this.#turnQueries = 0;
      this.#turnBytes = 0;
      if (this.#released) return;
      this.#handleFrames();
      if (!this.#paused && !this.#released && this.#later === undefined) this.socket.resume();
    });
  }

  #query(msg: Buffer): void {
    this.#inflight++;
    this.inChain++;
    this.#turnQueries++;
    let result;
    try {
      result = this.host.edge.handle(msg, this.client, false, FRAME);
    } catch {
      result = undefined;
    }
    if (result instanceof Promise) result.then((r) => this.#reply(r), () => this.#reply(undefined));
    else this.#reply(result as Buffer | undefined); // a frame, not a slot: never a length
    if (this.#inflight >= this.host.opts.maxInflight) this.#pause('inflight');
  }

  #reply(reply: Buffer | undefined): void {
    this.inChain--;
    const { opts, counts } = this.host;
    if (reply === undefined || this.#released || this.socket.destroyed) {
      this.#written();
      return;
    }
    const size = reply.length; // the frame: the edge left its first 2 bytes for the length
    if (this.#unsent > 0 && counts.unsent + size > opts.maxUnsentTotal) {
      // Unbound's stream-wait-size: the listener's reply memory is full and this client is not
      // reading what it has already; it loses its connection rather than everyone their memory.
      counts.unsentCloses++;
      this.#inflight--;
      this.destroy();
      return;
    }
    reply.writeUInt16BE(size - 2, 0);
    this.#turnBytes += size;
    this.#unsent += size;
    counts.unsent += size;
    // Length and message in one write (RFC 7766 §8); the query is finished once the kernel has it.
    this.socket.write(reply, (err) => {
      // A write that fails means the socket is gone: release first, so the failed writes'
      // callbacks do not resume reading and feed what is still buffered to the chain.
      if (err) this.#release();
      if (!this.#released) {
        this.#unsent -= size;
        counts.unsent -= size;
      }
      this.#written();
    });
    if (this.#unsent > opts.maxUnsent) this.#pause('unsent');
  }

  /** A query is over: its reply is written out (or there was none). */
  #written(): void {
    this.#inflight--;
    if (this.#released) return;
    this.#maybeResume();
    if (this.host.edge.closing && this.#inflight === 0) this.socket.end();
  }

  #pause(why: 'inflight' | 'unsent'): void {
    if (this.#paused) return;
    this.#paused = true;
    if (why === 'inflight') this.host.counts.pausedInflight++;
    else this.host.counts.pausedUnsent++;
    this.socket.pause();
    this.#clearFrameTimer(); // a frame we are not reading cannot be late
  }

  #maybeResume(): void {
    const { opts } = this.host;
    if (this.socket.destroyed) { this.#release(); return; }
    if (!this.#paused || this.#inflight >= opts.maxInflight || this.#unsent > opts.maxUnsent) return;
    this.#paused = false;
    this.#handleFrames();
    if (!this.#paused && !this.#released && this.#later === undefined) this.socket.resume();
  }

  #frameDone(): void {
    this.#clearFrameTimer();
    this.host.progressed(this);
  }

  /** Starts the frame deadline at the first byte of a partial frame; later bytes do not move it. */
  #watchFrame(): void {
    const buf = this.#pending;
    const partial = buf.length > 0 && (buf.length < 2 || buf.length - 2 < buf.readUInt16BE(0));
    if (!partial || this.#paused) { this.#clearFrameTimer(); return; }
    if (this.#frameTimer !== undefined) return;
    this.#frameTimer = setTimeout(() => {
      this.#frameTimer = undefined;
      if (this.#released) return;
      this.host.counts.frameTimeouts++;
      this.destroy();
    }, this.host.opts.frameTimeout);
  }

  #clearFrameTimer(): void {
    if (this.#frameTimer !== undefined) { clearTimeout(this.#frameTimer); this.#frameTimer = undefined; }
  }

  /** No byte read or written out for `idleTimeout`: close, unless the chain still works on a query. */
  #idle(): void {
    if (this.inChain > 0 || this.#released) return;
    this.host.counts.idleTimeouts++;
    this.destroy();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#clearFrameTimer();
    if (this.#later !== undefined) { clearImmediate(this.#later); this.#later = undefined; }
    this.host.counts.unsent -= this.#unsent;
    this.#unsent = 0;
    this.#pending = EMPTY;
    this.host.released(this);
  }
}
