import dgram from 'node:dgram';

/** Waits for a socket; `cancelled` when its exchange ended first. */
interface Waiter {
  readonly family: 4 | 6;
  readonly give: (socket: dgram.Socket) => void;
  cancelled: boolean;
}

/** Unbound's `outgoing-range` without libevent: sockets for queries in flight at once. */
export const UDP_POOL_DEFAULT = 1024;

/**
 * The outgoing UDP sockets of an upstream client, bounded. Each query gets a socket of its own,
 * new, on a source port the kernel picks at random (Linux randomises ephemeral ports, RFC 6056),
 * and closed once the query is over: so each query has its own random port and ID (RFC 5452) and
 * a late or forged reply finds no one listening. At most `max` are open; a query beyond that waits
 * (its deadline still running) for the next one to close, first come, first served. So a flood of
 * unique names at a silent upstream holds `max` descriptors, not one per query.
 */
export class UdpSocketPool {
  #open = 0;
  /** Exchanges that had to wait for a socket. */
  waits = 0;
  /** The most sockets open at once. */
  peak = 0;
  readonly #queue: Waiter[] = [];
  #head = 0;

  constructor(readonly max: number = UDP_POOL_DEFAULT) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`UdpSocketPool: max must be a positive integer, got ${max}`);
  }

  /** Sockets open now. */
  get open(): number {
    return this.#open;
  }

  /** Queries waiting for a socket now. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Calls `give` with a fresh socket, now or when one is free. Returns what withdraws the request
   * (call it when the exchange ends before it got its socket; a no-op afterwards).
   */
  acquire(family: 4 | 6, give: (socket: dgram.Socket) => void): () => void {
    if (this.#open < this.max && this.waiting === 0) {
      give(this.#create(family));
      return noop;
    }
    const waiter: Waiter = { family, give, cancelled: false };
    this.waits++;
    this.#queue.push(waiter);
    return () => { waiter.cancelled = true; };
  }

  /** Closes a socket `acquire` gave, and hands its place to the next waiter. */
  release(socket: dgram.Socket): void {
    socket.removeAllListeners('message');
    try { socket.close(); } catch { /* already closed */ }
    this.#open--;
    this.#next();
  }

  #next(): void {
    const q = this.#queue;
    while (this.#open < this.max && this.#head < q.length) {
      const w = q[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > q.length) { q.splice(0, this.#head); this.#head = 0; }
      if (w.cancelled) continue;
      w.give(this.#create(w.family));
    }
    if (this.#head === q.length) { q.length = 0; this.#head = 0; }
  }

  #create(family: 4 | 6): dgram.Socket {
    this.#open++;
    if (this.#open > this.peak) this.peak = this.#open;
    return dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  }
}

function noop(): void {}
