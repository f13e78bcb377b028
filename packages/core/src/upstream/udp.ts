import { OFF_ID } from '../wire/constants.js';
import type { DnsMessage } from '../message.js';
import { addressFamily, formatAddress, randomId, sendingAddress, type UpstreamAddress } from './address.js';
import { UpstreamAborted, UpstreamError } from './errors.js';
import { checkReply, SentQuery } from './match.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';
import { UdpSocketPool, type SocketWaiter } from './udp-pool.js';
import type { PooledSocket, SocketUser } from './udp-socket.js';
import { ExchangeWatch, type WatchedExchange } from './watch.js';

/**
 * One query over UDP: a socket from the client's bounded pool (its own while the query is in
 * flight, on a random source port) and a random ID, so an off-path attacker has to guess both
 * (RFC 5452). A datagram is accepted only when it comes from the upstream's address and port,
 * carries our ID with QR set and echoes our question; anything else is counted and dropped, and
 * the wait goes on until the deadline. The socket is not `connect()`ed, so datagrams from
 * elsewhere reach us and are counted rather than filtered silently. When every socket of the pool
 * is in use, the query waits for one (its deadline running).
 */
export function udpExchange(query: Buffer, upstream: UpstreamAddress, opts: ExchangeOptions, stats: UpstreamStats, pool: UdpSocketPool = sharedPool()): Promise<DnsMessage> {
  const to = sendingAddress(upstream);
  const family = addressFamily(to);
  if (family === 0) return Promise.reject(new UpstreamError(`'${upstream.host}' is not an IP address`, formatAddress(upstream)));
  const signal = opts.signal;
  if (signal?.aborted) {
    stats.aborts++;
    return Promise.reject(new UpstreamAborted(formatAddress(upstream), signal.reason));
  }
  let sent: SentQuery;
  try {
    sent = new SentQuery(query, randomId());
  } catch (err) {
    return Promise.reject(new UpstreamError('query does not parse', formatAddress(upstream), { cause: err }));
  }
  stats.udpQueries++;
  return new Promise<DnsMessage>((resolve, reject) => {
    const x = new UdpExchange(sent, upstream, to, family, stats, pool, resolve, reject);
    x.watch = new ExchangeWatch(opts, stats, x);
    if (x.settled) { x.watch.unhook(); return; } // stopped at once, from inside `cancel`
    pool.acquire(x);
  });
}

/**
 * An exchange in flight: the pool's waiter, then its socket's user, and what its watch ends. One
 * object per query, no closures of its own.
 */
class UdpExchange implements SocketWaiter, SocketUser, WatchedExchange {
  socket: PooledSocket | undefined;
  settled = false;
  cancelled = false;
  watch: ExchangeWatch | undefined;

  constructor(
    readonly sent: SentQuery, readonly upstream: UpstreamAddress, readonly to: UpstreamAddress, readonly family: 4 | 6,
    readonly stats: UpstreamStats, readonly pool: UdpSocketPool,
    readonly resolve: (reply: DnsMessage) => void, readonly reject: (err: Error) => void,
  ) {}

  /** "127.0.0.1:53": made only for an error (a string per query otherwise). */
  get label(): string {
    return formatAddress(this.upstream);
  }

  give(s: PooledSocket): void {
    if (this.settled) { this.pool.release(s, s.lastId); return; }
    this.socket = s;
    s.user = this;
    s.uses++;
    // Never the ID the socket's previous query had: its late reply must not pass for ours.
    while (this.sent.id === s.lastId) this.sent.id = randomId();
    s.send(this.sent.bytes, this.to);
  }

  refuse(err: Error): void {
    this.stats.errors++;
    this.finish(new UpstreamError(`udp: ${err.message}`, this.label, { cause: err }));
  }

  onDatagram(msg: Buffer, fromPeer: boolean): void {
    const stats = this.stats;
    if (!fromPeer) {
      stats.spoofed++;
      return;
    }
    const reply = checkReply(this.sent, msg);
    if (typeof reply !== 'string') {
      stats.replies++;
      this.finish(undefined, reply);
    } else if (reply === 'spoofed' && msg.length >= 2 && msg.readUInt16BE(OFF_ID) === this.socket!.lastId) {
      stats.late++;                 // the socket's previous query's answer, after it ended
    } else {
      stats[reply]++;
    }
  }

  onSocketError(err: Error): void {
    this.stats.errors++;
    this.finish(new UpstreamError(`udp: ${err.message}`, this.label, { cause: err }));
  }

  finish(err: Error | undefined, reply?: DnsMessage): void {
    if (this.settled) return;
    this.settled = true;
    this.watch?.unhook();
    const s = this.socket;
    if (s !== undefined) this.pool.release(s, this.sent.id);
    else this.cancelled = true;     // still waiting for a socket: leave the line
    if (err !== undefined) this.reject(err);
    else this.resolve(reply!);
  }
}

/** The pool of exchanges made without a client of their own (`exchange()`, `udpExchange` alone). */
let shared: UdpSocketPool | undefined;
function sharedPool(): UdpSocketPool {
  return (shared ??= new UdpSocketPool());
}
