import net from 'node:net';
import tls from 'node:tls';
import type { DnsMessage } from '../message.js';
import type { Duration } from '../units.js';
import { addressFamily, formatAddress, randomId, type UpstreamAddress, type UpstreamTls } from './address.js';
import { UpstreamAborted, UpstreamError, UpstreamTimeout } from './errors.js';
import { checkReply, SentQuery } from './match.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';
import { watchExchange } from './watch.js';

export interface TcpPoolOptions {
  /** Close a connection after this long with nothing in flight (ms). 0 closes it as soon as it is idle. */
  readonly expire: Duration;
  /** Queries in flight on one connection before another is opened. */
  readonly maxPipeline: number;
  /**
   * Connections open at once to this upstream; when all are at `maxPipeline`, queries go on the
   * least loaded one anyway (IDs are per connection, so up to 65536 fit). Default 8.
   */
  readonly maxConnections?: number;
  /** DNS over TLS (RFC 7858): every connection is a TLS one, checked with these settings. */
  readonly tls?: UpstreamTls;
}

export const TCP_POOL_DEFAULTS: TcpPoolOptions = { expire: 10_000, maxPipeline: 1024, maxConnections: 8 };

/**
 * After a TLS upstream's connection fails before its handshake is done, queries are refused at
 * once (the caller moves on to another upstream) for `min` ms, doubling per failure in a row up
 * to `max`; the first success ends it. A broken upstream thus costs one handshake per backoff
 * period, not one per query.
 */
export const TLS_BACKOFF = { min: 250, max: 30_000 } as const;

/** One exchange waiting for its reply, possibly moved once to a fresh connection. */
interface Pending {
  readonly sent: SentQuery;
  /** Settles the exchange (clears its timer and signal listener). */
  readonly done: (err: Error | undefined, reply?: DnsMessage) => void;
  conn: TcpConnection | undefined;
  /** Sent on a connection that had carried queries before: the peer may have closed it meanwhile. */
  reused: boolean;
  retried: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The TCP connections to one upstream (RFC 7766): reused, pipelined (many queries in flight on one
 * connection, matched by ID and question; IDs unique per connection), closed after `expire` idle.
 * A connection that breaks fails the queries in flight on it; a query that went out on a reused
 * connection the peer had already closed is sent once more on a fresh one. The next query after a
 * close simply opens a new connection.
 */
export class TcpPool {
  readonly label: string;
  readonly #conns: TcpConnection[] = [];
  #closed = false;
  /** The last TLS session the upstream gave us: the next connection resumes it (RFC 8446 tickets). */
  session: Buffer | undefined;
  /** TLS connect failures in a row, and until when new queries are refused (see TLS_BACKOFF). */
  #failures = 0;
  #backoffUntil = 0;
  #lastError = '';

  constructor(readonly upstream: UpstreamAddress, readonly options: TcpPoolOptions, readonly stats: UpstreamStats) {
    this.label = formatAddress(upstream);
  }

  /** The TLS settings when this pool speaks DNS over TLS. */
  get tls(): UpstreamTls | undefined {
    return this.options.tls;
  }

  /** @internal A TLS connection could not be set up: back off (doubling) before the next try. */
  connectFailed(why: string): void {
    this.#failures++;
    this.#lastError = why;
    this.#backoffUntil = performance.now() + Math.min(TLS_BACKOFF.max, TLS_BACKOFF.min * 2 ** (this.#failures - 1));
  }

  /** @internal A connection is up: the backoff ends. */
  connected(): void {
    this.#failures = 0;
    this.#backoffUntil = 0;
  }

  /** Open connections (for tests and metrics). */
  get connections(): number {
    return this.#conns.length;
  }

  exchange(query: Buffer, opts: ExchangeOptions): Promise<DnsMessage> {
    const { label, stats } = this;
    if (this.#closed) return Promise.reject(new UpstreamError('client is closed', label));
    if (addressFamily(this.upstream) === 0) return Promise.reject(new UpstreamError(`'${this.upstream.host}' is not an IP address`, label));
    const signal = opts.signal;
    if (signal?.aborted) {
      stats.aborts++;
      return Promise.reject(new UpstreamAborted(label, signal.reason));
    }
    let sent: SentQuery;
    try {
      sent = new SentQuery(query, 0);
    } catch (err) {
      return Promise.reject(new UpstreamError('query does not parse', label, { cause: err }));
    }
    if (sent.bytes.length > 65535) return Promise.reject(new UpstreamError('query longer than 65535 bytes', label));
    if (this.options.tls !== undefined) {
      if (this.#backoffUntil > 0 && this.#conns.length === 0 && performance.now() < this.#backoffUntil) {
        stats.tlsBackoffRejects++;
        return Promise.reject(new UpstreamError(`tls: reconnecting after ${this.#failures} failure(s), last: ${this.#lastError}`, label));
      }
      stats.tlsQueries++;
    } else {
      stats.tcpQueries++;
    }

    return new Promise<DnsMessage>((resolve, reject) => {
      let settled = false;
      let unhook = noop;
      const done = (err: Error | undefined, reply?: DnsMessage): void => {
        if (settled) return;
        settled = true;
        unhook();
        pending.conn?.forget(pending, err instanceof UpstreamTimeout || err instanceof UpstreamAborted);
        if (err !== undefined) reject(err);
        else resolve(reply!);
      };
      const pending: Pending = { sent, done, conn: undefined, reused: false, retried: false };
      unhook = watchExchange(opts, label, stats, () => settled, done);
      if (settled) { unhook(); return; } // stopped at once, from inside `cancel`
      this.send(pending);
    });
  }

  /** @internal Puts a query on a connection with room, opening one when none has. */
  send(p: Pending): void {
    if (this.#closed) { p.done(new UpstreamError('client is closed', this.label)); return; }
    let conn: TcpConnection | undefined;
    for (const c of this.#conns) {
      if (c.load < this.options.maxPipeline) { conn = c; break; }
    }
    const max = this.options.maxConnections ?? TCP_POOL_DEFAULTS.maxConnections!;
    if (conn === undefined && this.#conns.length >= max) {
      // The pool is full: pipeline deeper on the least loaded connection (bounded by its ID space).
      conn = this.#conns.reduce((a, b) => (b.load < a.load ? b : a));
      if (conn.load >= 65_000) { p.done(new UpstreamError(`${max} connections with 65000 queries each in flight`, this.label)); return; }
    }
    if (conn === undefined) {
      conn = new TcpConnection(this);
      this.#conns.push(conn);
      this.stats.tcpConnects++;
    }
    conn.send(p);
  }

  /** @internal */
  remove(conn: TcpConnection): void {
    const at = this.#conns.indexOf(conn);
    if (at >= 0) this.#conns.splice(at, 1);
  }

  /** Closes every connection; queries in flight fail with UpstreamError. */
  close(): void {
    this.#closed = true;
    for (const c of [...this.#conns]) c.destroy(new UpstreamError('client closed', this.label));
  }
}

/** One TCP connection: framing, the in-flight table, the idle timer. */
class TcpConnection {
  readonly #pool: TcpPool;
  readonly #socket: net.Socket | tls.TLSSocket;
  readonly #pending = new Map<number, Pending>();
  /** IDs of queries that gave up waiting: not reused until their late reply comes or the connection ends. */
  readonly #abandoned = new Set<number>();
  #acc: Buffer = EMPTY;
  #idle: NodeJS.Timeout | undefined;
  #connected = false;
  #closed = false;
  #sent = 0;

  constructor(pool: TcpPool) {
    this.#pool = pool;
    const { host, port } = pool.upstream;
    const t = pool.tls;
    if (t === undefined) {
      const socket = net.connect({ host, port, noDelay: true });
      this.#socket = socket;
      socket.on('connect', () => { this.#connected = true; });
    } else {
      const socket = tls.connect({
        host, port, servername: t.servername, ca: t.ca as Buffer | Buffer[] | undefined, cert: t.cert, key: t.key, session: pool.session,
        minVersion: 'TLSv1.2', ALPNProtocols: ['dot'], // RFC 7858 §3.2 and its ALPN id (RFC 9461's registry)
      });
      socket.setNoDelay(true);
      this.#socket = socket;
      socket.on('secureConnect', () => {
        this.#connected = true;
        pool.stats.tlsHandshakes++;
        if (socket.isSessionReused()) pool.stats.tlsResumed++;
        pool.connected();
      });
      socket.on('session', (session: Buffer) => { pool.session = session; });
    }
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (t === undefined) { this.#broken(new UpstreamError(`tcp: ${err.message}`, pool.label, { cause: err })); return; }
      // A failure before the handshake is done, or a TLS alert: named (its code) and counted.
      const why = `${err.code ?? 'error'}: ${err.message}`;
      if (!this.#connected || /SSL|TLS|CERT|ALERT/i.test(err.code ?? '')) {
        pool.stats.tlsErrors++;
        if (!this.#connected) pool.connectFailed(why);
        if (pool.session !== undefined && !this.#connected) pool.session = undefined; // a stale ticket may be why
      }
      this.#broken(new UpstreamError(`tls: ${why}`, pool.label, { cause: err }));
    });
    socket.on('close', () => this.#broken(new UpstreamError('tcp connection closed by the upstream', pool.label)));
  }

  /** Queries in flight plus IDs held for late replies. */
  get load(): number {
    return this.#pending.size + this.#abandoned.size;
  }

  send(p: Pending): void {
    if (this.#idle !== undefined) { clearTimeout(this.#idle); this.#idle = undefined; }
    this.#socket.ref();
    let id = randomId();
    while (this.#pending.has(id) || this.#abandoned.has(id)) id = randomId();
    p.sent.id = id;
    p.conn = this;
    p.reused = this.#sent > 0;
    if (p.reused) this.#pool.stats.tcpReused++;
    this.#sent++;
    this.#pending.set(id, p);
    const q = p.sent.bytes;
    const frame = Buffer.allocUnsafe(2 + q.length);   // length prefix and message in one write (RFC 7766 §8)
    frame.writeUInt16BE(q.length, 0);
    q.copy(frame, 2);
    this.#socket.write(frame);
  }

  /** An exchange ended without its reply (or with it). A timed-out or aborted ID is held for its late reply. */
  forget(p: Pending, holdId: boolean): void {
    const id = p.sent.id;
    if (this.#pending.get(id) === p) {
      this.#pending.delete(id);
      if (holdId && !this.#closed) this.#abandoned.add(id);
    }
    if (!this.#connected && this.#pending.size === 0 && !this.#closed) {
      // Still connecting and nobody waits: drop the attempt, the next query starts afresh.
      this.destroy(new UpstreamError('connect abandoned', this.#pool.label));
      return;
    }
    this.#maybeIdle();
  }

  #onData(chunk: Buffer): void {
    const buf = this.#acc.length === 0 ? chunk : Buffer.concat([this.#acc, chunk]);
    let at = 0;
    while (buf.length - at >= 2) {
      const len = buf.readUInt16BE(at);
      if (buf.length - at - 2 < len) break;
      const msg = Buffer.from(buf.subarray(at + 2, at + 2 + len)); // the reply owns its bytes
      at += 2 + len;
      this.#onMessage(msg);
      if (this.#closed) return;
    }
    this.#acc = at === buf.length ? EMPTY : buf.subarray(at);
  }

  #onMessage(msg: Buffer): void {
    const stats = this.#pool.stats;
    if (msg.length < 12) { stats.malformed++; return; }
    const id = msg.readUInt16BE(0);
    const p = this.#pending.get(id);
    if (p === undefined) {
      if (this.#abandoned.delete(id)) stats.late++;
      else stats.spoofed++;
      return;
    }
    const reply = checkReply(p.sent, msg);
    if (typeof reply === 'string') { stats[reply]++; return; }
    this.#pending.delete(id);
    stats.replies++;
    p.done(undefined, reply);
  }

  #maybeIdle(): void {
    if (this.#closed || this.#pending.size > 0 || this.#idle !== undefined) return;
    const expire = this.#pool.options.expire;
    if (expire <= 0) { this.#close(); return; }
    this.#socket.unref(); // an idle pooled connection does not keep the process alive
    this.#idle = setTimeout(() => { this.#idle = undefined; this.#close(); }, expire);
    this.#idle.unref();
  }

  /** Idle: a graceful close (FIN), then the socket is released. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.stats.tcpIdleCloses++;
    this.#pool.remove(this);
    this.#abandoned.clear();
    const socket = this.#socket;
    socket.end(() => socket.destroy());
  }

  /** Closes at once; queries in flight fail with `err` (no resend). */
  destroy(err: UpstreamError): void {
    if (this.#closed) return;
    this.#takeDown();
    for (const p of this.#drainPending()) { this.#pool.stats.errors++; p.done(err); }
  }

  /** The connection broke under us (error, or closed by the peer). */
  #broken(err: UpstreamError): void {
    if (this.#closed) return;
    this.#takeDown();
    for (const p of this.#drainPending()) {
      if (p.reused && !p.retried) {
        // The peer likely closed a connection we were reusing: one more try on a fresh one.
        p.retried = true;
        p.conn = undefined;
        this.#pool.send(p);
      } else {
        this.#pool.stats.errors++;
        p.done(err);
      }
    }
  }

  #takeDown(): void {
    this.#closed = true;
    if (this.#idle !== undefined) { clearTimeout(this.#idle); this.#idle = undefined; }
    this.#pool.remove(this);
    this.#abandoned.clear();
    this.#acc = EMPTY;
    this.#socket.destroy();
  }

  #drainPending(): Pending[] {
    const list = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of list) p.conn = undefined;
    return list;
  }
}

function noop(): void {}
