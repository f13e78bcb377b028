import dgram from 'node:dgram';
import type { DnsMessage } from '../message.js';
import { addressFamily, formatAddress, randomId, sameHost, type UpstreamAddress } from './address.js';
import { UpstreamAborted, UpstreamError } from './errors.js';
import { checkReply, SentQuery } from './match.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';
import { UdpSocketPool } from './udp-pool.js';
import { watchExchange } from './watch.js';

/**
 * One query over UDP: a socket of its own from the client's bounded pool, on a random source port
 * (the kernel picks it) with a random ID, so an off-path attacker has to guess both (RFC 5452). A
 * datagram is accepted only when it comes from the upstream's address and port, carries our ID
 * with QR set and echoes our question; anything else is counted and dropped, and the wait goes on
 * until the deadline. The socket is not `connect()`ed, so datagrams from elsewhere reach us and are
 * counted rather than filtered silently. When every socket of the pool is in use, the query waits
 * for one (its deadline running).
 */
export function udpExchange(query: Buffer, upstream: UpstreamAddress, opts: ExchangeOptions, stats: UpstreamStats, pool: UdpSocketPool = sharedPool): Promise<DnsMessage> {
  const label = formatAddress(upstream);
  const family = addressFamily(upstream);
  if (family === 0) return Promise.reject(new UpstreamError(`'${upstream.host}' is not an IP address`, label));
  const signal = opts.signal;
  if (signal?.aborted) {
    stats.aborts++;
    return Promise.reject(new UpstreamAborted(label, signal.reason));
  }
  let sent: SentQuery;
  try {
    sent = new SentQuery(query, randomId());
  } catch (err) {
    return Promise.reject(new UpstreamError('query does not parse', label, { cause: err }));
  }
  stats.udpQueries++;

  return new Promise<DnsMessage>((resolve, reject) => {
    let socket: dgram.Socket | undefined;
    let settled = false;
    let unhook = noop;
    let withdraw = noop;
    const finish = (err: Error | undefined, reply?: DnsMessage): void => {
      if (settled) return;
      settled = true;
      unhook();
      withdraw();
      if (socket !== undefined) pool.release(socket);
      if (err !== undefined) reject(err);
      else resolve(reply!);
    };
    unhook = watchExchange(opts, label, stats, () => settled, finish);
    if (settled) { unhook(); return; } // stopped at once, from inside `cancel`
    withdraw = pool.acquire(family, (s) => {
      socket = s;
      send(s);
    });

    function send(s: dgram.Socket): void {
      s.on('message', (msg, rinfo) => {
        if (rinfo.port !== upstream.port || !sameHost(upstream.host, rinfo.address)) {
          stats.spoofed++;
          return;
        }
        const reply = checkReply(sent, msg);
        if (typeof reply === 'string') {
          stats[reply]++;
          return;
        }
        stats.replies++;
        finish(undefined, reply);
      });
      s.on('error', (err) => {
        stats.errors++;
        finish(new UpstreamError(`udp: ${err.message}`, label, { cause: err }));
      });
      // No bind(): the first send binds the socket to an ephemeral port the kernel picks at random.
      s.send(sent.bytes, upstream.port, upstream.host, (err) => {
        if (err) {
          stats.errors++;
          finish(new UpstreamError(`udp send: ${err.message}`, label, { cause: err }));
        }
      });
    }
  });
}

/** The pool of exchanges made without a client of their own (`exchange()`, `udpExchange` alone). */
const sharedPool = new UdpSocketPool();

function noop(): void {}
