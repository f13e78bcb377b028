import { randomBelow } from './address.js';
import { openPooledSocket, type PooledSocket, type StrayCounts } from './udp-socket.js';

/** Waits for a socket; `cancelled` when its exchange ended first. */
export interface SocketWaiter {
  readonly family: 4 | 6;
  give(socket: PooledSocket): void;
  /** The pool could not open a socket (EMFILE, ...): the exchange fails. */
  refuse(err: Error): void;
  cancelled: boolean;
}

/** Unbound's `outgoing-range` without libevent: sockets open at once, so queries in flight at once. */
export const UDP_POOL_DEFAULT = 1024;

/** How long a socket is kept for the cost, and when it goes. */
export interface UdpPoolOptions {
  /**
   * Queries a socket carries, one after another, before it is closed and a fresh one (a new random
   * port) takes its place: each socket draws its own budget from [uses, 2 × uses). Default 32.
   */
  readonly uses?: number;
  /** A socket idle this long (ms) is closed. Default 5000. */
  readonly idle?: number;
  /** The clock idle times are read from (ms). Default performance.now. */
  readonly now?: () => number;
  /** Where datagrams that reach a socket with no query in flight are counted. */
  readonly strays?: StrayCounts;
  /**
   * Fresh sockets a second, sustained, while an idle one could serve instead (a token bucket of
   * `freshBurst`). Beyond it a query takes an idle socket at random. Default 1000.
   */
  readonly freshRate?: number;
  /** Fresh sockets opened at once before `freshRate` applies. Default 64. */
  readonly freshBurst?: number;
}

export const UDP_POOL_DEFAULTS = { uses: 32, idle: 5000, freshRate: 1000, freshBurst: 64 } as const;

/**
 * The outgoing UDP sockets of an upstream client, bounded: at most `max` open at once, each
 * carrying one query at a time, so the queries in flight at once each have a source port of their
 * own. A query gets a **fresh** socket (a new port, random from the kernel, RFC 6056) while fewer
 * than `max` are open and fresh ones open at no more than `freshRate` a second (after a burst of
 * `freshBurst`); beyond that rate, or once `max` are open, it gets one of the idle ones **at
 * random**, with a random ID that is not the socket's last (RFC 5452: port and ID are the entropy),
 * and a fresh one only when none is idle. A socket is closed after its budget of queries (32 to 63)
 * and after 5 s idle, so the ports keep changing and a quiet resolver holds few. So at a low rate
 * every query has a socket of its own, as in Unbound; under a flood the cost of opening, binding
 * and closing a socket (a third of a miss's CPU in Node) is paid once per few dozen queries, and
 * a flood's first second does not open `max` sockets one per query (60 ms of CPU for 1024 when the
 * server is busiest). When all `max` are busy, a query waits (its deadline running) for the next
 * one free, first come, first served: a flood at a silent upstream holds `max` descriptors, not
 * one per query.
 */
export class UdpSocketPool {
  #open = 0;
  /** Exchanges that had to wait for a socket. */
  waits = 0;
  /** The most sockets open at once. */
  peak = 0;
  /** Sockets opened, and closed after their budget of queries or idle time. */
  created = 0;
  retired = 0;
  readonly #idle: [PooledSocket[], PooledSocket[]] = [[], []];
  readonly #queue: SocketWaiter[] = [];
  #head = 0;
  readonly #uses: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #strays: StrayCounts;
  readonly #freshRate: number;
  readonly #freshBurst: number;
  /** Fresh sockets that may open now without reusing an idle one (the token bucket). */
  #freshTokens: number;
  #freshAt: number;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(readonly max: number = UDP_POOL_DEFAULT, opts: UdpPoolOptions = {}) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`UdpSocketPool: max must be a positive integer, got ${max}`);
    this.#uses = opts.uses ?? UDP_POOL_DEFAULTS.uses;
    if (!Number.isInteger(this.#uses) || this.#uses < 1) throw new TypeError(`UdpSocketPool: uses must be a positive integer, got ${this.#uses}`);
    this.#idleMs = opts.idle ?? UDP_POOL_DEFAULTS.idle;
    if (!(this.#idleMs > 0)) throw new TypeError(`UdpSocketPool: idle must be > 0 ms, got ${this.#idleMs}`);
    this.#now = opts.now ?? (() => performance.now());
    this.#strays = opts.strays ?? { late: 0, spoofed: 0, oversize: 0 };
    this.#freshRate = opts.freshRate ?? UDP_POOL_DEFAULTS.freshRate;
    if (!(this.#freshRate > 0)) throw new TypeError(`UdpSocketPool: freshRate must be > 0 a second, got ${this.#freshRate}`);
    this.#freshBurst = opts.freshBurst ?? UDP_POOL_DEFAULTS.freshBurst;
    if (!Number.isInteger(this.#freshBurst) || this.#freshBurst < 1) throw new TypeError(`UdpSocketPool: freshBurst must be a positive integer, got ${this.#freshBurst}`);
    this.#freshTokens = this.#freshBurst;
    this.#freshAt = this.#now();
  }

  /** Sockets open now (busy or idle). */
  get open(): number {
    return this.#open;
  }

  /** Sockets open and idle now. */
  get idle(): number {
    return this.#idle[0].length + this.#idle[1].length;
  }

  /** Queries waiting for a socket now. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Hands `waiter` a socket now (returns true) or when one is free (false: set `waiter.cancelled`
   * when its exchange ends before that). A socket that cannot be opened is `refuse`d at once.
   */
  acquire(waiter: SocketWaiter): boolean {
    if (this.waiting > 0) return this.#wait(waiter);
    const socket = this.#take(waiter.family);
    if (socket === undefined) return this.#wait(waiter);
    if (socket instanceof Error) waiter.refuse(socket);
    else waiter.give(socket);
    return true;
  }

  /**
   * Takes back a socket `acquire` gave, once its exchange is over (`id`: the query it carried):
   * to the next waiter, to the idle sockets, or closed when spent or broken.
   */
  release(socket: PooledSocket, id: number): void {
    socket.user = undefined;
    socket.lastId = id;
    const spent = socket.uses >= socket.budget;
    if (socket.broken || spent || this.#closed) {
      this.#close(socket, spent && !socket.broken);
      this.#next();
      return;
    }
    const w = this.#firstWaiter();
    if (w !== undefined) {
      if (w.family === socket.family) {
        this.#head++;
        this.#compact();
        w.give(socket);
      } else {
        this.#close(socket, false); // its place goes to the waiter of the other family
        this.#next();
      }
      return;
    }
    const list = this.#idle[socket.family === 6 ? 1 : 0];
    socket.idleAt = list.length;
    socket.idleSince = this.#now();
    list.push(socket);
    if (this.#sweeper === undefined) this.#startSweeper();
  }

  /** Closes the sockets idle longer than `idle` ms (run by a timer every idle/2; callable for tests). */
  sweep(): void {
    const oldest = this.#now() - this.#idleMs;
    for (const list of this.#idle) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (s.idleSince <= oldest) { this.#unidle(s); this.#close(s, true); }
      }
    }
    if (this.#open === 0) this.#stopSweeper();
  }

  /** Closes the idle sockets now, and each busy one when its exchange ends; new waiters wait for nothing. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle) for (const s of list.splice(0)) this.#close(s, false);
    this.#stopSweeper();
  }

  /**
   * A socket for `family`: fresh while fewer than `max` are open and the fresh rate allows (or none
   * is idle), else a random idle one, else undefined.
   */
  #take(family: 4 | 6): PooledSocket | Error | undefined {
    const list = this.#idle[family === 6 ? 1 : 0];
    if (this.#open < this.max && (this.#spendFresh() || list.length === 0)) return this.#create(family);
    if (list.length > 0) {
      const s = list[randomBelow(list.length)]!;
      this.#unidle(s);
      return s;
    }
    // Every place is taken; an idle socket of the other family gives its place up.
    const other = this.#idle[family === 6 ? 0 : 1];
    if (other.length > 0) {
      const s = other[other.length - 1]!;
      this.#unidle(s);
      this.#close(s, false);
      return this.#create(family);
    }
    return undefined;
  }

  /** Takes a fresh-socket token if one is there (refilled at `freshRate` a second, up to `freshBurst`). */
  #spendFresh(): boolean {
    const now = this.#now();
    const tokens = Math.min(this.#freshBurst, this.#freshTokens + ((now - this.#freshAt) * this.#freshRate) / 1000);
    this.#freshAt = now;
    if (tokens < 1) { this.#freshTokens = tokens; return false; }
    this.#freshTokens = tokens - 1;
    return true;
  }

  #wait(waiter: SocketWaiter): false {
    this.waits++;
    this.#queue.push(waiter);
    return false;
  }

  /** The first waiter not cancelled (left at the head of the line), if any. */
  #firstWaiter(): SocketWaiter | undefined {
    const q = this.#queue;
    while (this.#head < q.length) {
      const w = q[this.#head]!;
      if (!w.cancelled) return w;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  /** Serves waiters while there is room (after a socket closed). */
  #next(): void {
    for (let w = this.#firstWaiter(); w !== undefined; w = this.#firstWaiter()) {
      const socket = this.#take(w.family);
      if (socket === undefined) return;
      this.#head++;
      this.#compact();
      if (socket instanceof Error) w.refuse(socket);
      else w.give(socket);
    }
  }

  #compact(): void {
    const q = this.#queue;
    if (this.#head === q.length) { q.length = 0; this.#head = 0; } else if (this.#head > 1024 && this.#head * 2 > q.length) { q.splice(0, this.#head); this.#head = 0; }
  }

  #unidle(s: PooledSocket): void {
    const list = this.#idle[s.family === 6 ? 1 : 0];
    const last = list.pop()!;
    if (last !== s) { list[s.idleAt] = last; last.idleAt = s.idleAt; }
    s.idleAt = -1;
  }

  #create(family: 4 | 6): PooledSocket | Error {
    const s = openPooledSocket(family, this.#uses + randomBelow(this.#uses), this.#strays);
    if (s.error !== undefined) { // it could not bind (EMFILE, ENOBUFS): nothing stays open
      s.close();
      return s.error;
    }
    this.created++;
    if (++this.#open > this.peak) this.peak = this.#open;
    return s;
  }

  #close(s: PooledSocket, retired: boolean): void {
    if (s.closed) return;
    s.close();
    this.#open--;
    if (retired) this.retired++;
  }

  #startSweeper(): void {
    const t = setInterval(() => this.sweep(), Math.max(10, this.#idleMs / 2));
    t.unref();
    this.#sweeper = t;
  }

  #stopSweeper(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
