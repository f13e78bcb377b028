import type { Registry } from 'prom-client';
import { publishMetric, type Sample } from '../metrics.js';
import { rcodeName, Rcode } from '../wire/constants.js';
import type { EdgeStats } from './stats.js';

/** What one listening port's UDP sockets counted. */
export interface UdpCounts {
  /** Replies the kernel refused (a full send buffer) or the socket failed to send. */
  sendFailures: number;
  /** Batched transport only: batch callbacks, and the datagrams they carried. */
  batches: number;
  datagrams: number;
}

/** One listening port: its edge's counters and its UDP sockets'. */
export interface PortCounts {
  readonly port: number;
  readonly stats: EdgeStats;
  readonly udp: UdpCounts;
}

export const EDGE_QUERIES = 'dnsmesh_edge_queries_total';
export const EDGE_DROPPED = 'dnsmesh_edge_dropped_total';
export const EDGE_REPLIES = 'dnsmesh_edge_replies_total';
export const UDP_SEND_FAILURES = 'dnsmesh_udp_send_failures_total';
export const UDP_BATCHES = 'dnsmesh_udp_batches_total';
export const UDP_BATCH_DATAGRAMS = 'dnsmesh_udp_batch_datagrams_total';

/**
 * The server's own counters, which no plugin sees: queries read, dropped unanswered, answered by
 * the edge itself (FORMERR, NOTIMP, BADVERS, REFUSED, SERVFAIL when a chain fails), replies the
 * kernel refused, and the batched transport's batches (datagrams ÷ batches is the mean batch).
 * Labelled by listening port; read at scrape time. Returns a function that takes them back.
 */
export function publishEdgeMetrics(registry: Registry, ports: () => Iterable<PortCounts>): () => void {
  const per = (pick: (p: PortCounts) => number): (() => Iterable<Sample>) => function* () {
    for (const p of ports()) yield [{ port: String(p.port) }, pick(p)];
  };
  const offs = [
    publishMetric(registry, 'counter', EDGE_QUERIES, 'Queries read from the sockets (UDP datagrams and TCP messages), by listening port.', ['port'], per((p) => p.stats.received)),
    publishMetric(registry, 'counter', EDGE_DROPPED, 'Queries dropped unanswered: shorter than a header, QR set, or arriving during shutdown.', ['port'], per((p) => p.stats.dropped)),
    publishMetric(registry, 'counter', EDGE_REPLIES, 'Replies the edge wrote itself, not a plugin: FORMERR (malformed, meta-type QTYPE), NOTIMP (opcode), BADVERS (EDNS version), REFUSED (no zone, zone transfer, class not IN), SERVFAIL (a chain failed).', ['port', 'rcode'], function* () {
      for (const p of ports()) {
        const s = p.stats;
        for (const [rcode, n] of [[Rcode.FORMERR, s.formerr], [Rcode.NOTIMP, s.notimp], [Rcode.BADVERS, s.badvers], [Rcode.REFUSED, s.refused], [Rcode.SERVFAIL, s.errors]] as const) {
          yield [{ port: String(p.port), rcode: rcodeName(rcode) }, n];
        }
      }
    }),
    publishMetric(registry, 'counter', UDP_SEND_FAILURES, 'UDP replies the kernel refused (a full send buffer) or failed to send.', ['port'], per((p) => p.udp.sendFailures)),
    publishMetric(registry, 'counter', UDP_BATCHES, 'Batches the batched UDP transport handed to JavaScript (up to 4 per wake-up while a backlog lasts).', ['port'], per((p) => p.udp.batches)),
    publishMetric(registry, 'counter', UDP_BATCH_DATAGRAMS, 'Datagrams those batches carried.', ['port'], per((p) => p.udp.datagrams)),
  ];
  return () => { for (const off of offs) off(); };
}
