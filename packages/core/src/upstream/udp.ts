import dgram from 'node:dgram';
import type { DnsMessage } from '../message.js';
import { addressFamily, formatAddress, randomId, sameHost, type UpstreamAddress } from './address.js';
import { UpstreamAborted, UpstreamError } from './errors.js';
import { checkReply, SentQuery } from './match.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';
import { watchExchange } from './watch.js';

/**
 * One query over UDP: a fresh socket on a random source port (the kernel picks it) and a random
 * ID, so an off-path attacker has to guess both (RFC 5452). A datagram is accepted only when it
 * comes from the upstream's address and port, carries our ID with QR set and echoes our question;
 * anything else is counted and dropped, and the wait goes on until the deadline. The socket is not
 * `connect()`ed, so datagrams from elsewhere reach us and are counted rather than filtered silently.
 */
export function udpExchange(query: Buffer, upstream: UpstreamAddress, opts: ExchangeOptions, stats: UpstreamStats): Promise<DnsMessage> {
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
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    let unhook = noop;
    const finish = (err: Error | undefined, reply?: DnsMessage): void => {
      if (settled) return;
      settled = true;
      unhook();
      socket.removeAllListeners('message');
      try { socket.close(); } catch { /* already closed */ }
      if (err !== undefined) reject(err);
      else resolve(reply!);
    };
    unhook = watchExchange(opts, label, stats, () => settled, finish);
    if (settled) { unhook(); return; } // stopped at once, from inside `cancel`

    socket.on('message', (msg, rinfo) => {
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
    socket.on('error', (err) => {
      stats.errors++;
      finish(new UpstreamError(`udp: ${err.message}`, label, { cause: err }));
    });
    // No bind(): the first send binds the socket to an ephemeral port the kernel picks at random.
    socket.send(sent.bytes, upstream.port, upstream.host, (err) => {
      if (err) {
        stats.errors++;
        finish(new UpstreamError(`udp send: ${err.message}`, label, { cause: err }));
      }
    });
  });
}

function noop(): void {}
