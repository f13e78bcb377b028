import type { Registry } from 'prom-client';
import { publishMetric, type Sample } from '../metrics.js';
import type { TcpCounts } from './tcp-options.js';

export const TCP_CONNECTIONS = 'dnsmesh_tcp_connections';
export const TCP_UNSENT_BYTES = 'dnsmesh_tcp_unsent_bytes';
export const TCP_ACCEPTED = 'dnsmesh_tcp_accepted_total';
export const TCP_CLOSED = 'dnsmesh_tcp_closed_total';
export const TCP_PAUSED = 'dnsmesh_tcp_paused_total';
export const TLS_HANDSHAKE_FAILURES = 'dnsmesh_tls_handshake_failures_total';

/** The reasons a connection is closed by the server, as the `reason` label writes them. */
const CLOSE_REASONS = [
  ['per_client', (c: TcpCounts) => c.refusedPerClient],
  ['max_connections', (c: TcpCounts) => c.evicted],
  ['idle_timeout', (c: TcpCounts) => c.idleTimeouts],
  ['frame_timeout', (c: TcpCounts) => c.frameTimeouts],
  ['max_unsent_total', (c: TcpCounts) => c.unsentCloses],
] as const;

/**
 * The TCP listeners' bounds at work, by listening port: each refusal or forced close by reason,
 * each pause of reading, and the connections and unsent reply bytes held now. Every series is
 * there (at 0) from the start. Returns what takes them back.
 */
export function publishTcpMetrics(registry: Registry, ports: () => Iterable<{ readonly port: number; readonly tcp: TcpCounts }>): () => void {
  const per = (pick: (c: TcpCounts) => number) => function* (): Iterable<Sample> {
    for (const p of ports()) yield [{ port: String(p.port) }, pick(p.tcp)];
  };
  const offs = [
    publishMetric(registry, 'gauge', TCP_CONNECTIONS, 'Open client TCP connections.', ['port'], per((c) => c.open)),
    publishMetric(registry, 'gauge', TCP_UNSENT_BYTES, 'Reply bytes written to client TCP connections and not yet taken by the kernel.', ['port'], per((c) => c.unsent)),
    publishMetric(registry, 'counter', TCP_ACCEPTED, 'Client TCP connections accepted.', ['port'], per((c) => c.accepted)),
    publishMetric(registry, 'counter', TCP_CLOSED, 'Client TCP connections the server closed by a bound: per_client (refused at accept), max_connections (closed to make room), idle_timeout, frame_timeout, max_unsent_total.', ['port', 'reason'], function* () {
      for (const p of ports()) for (const [reason, pick] of CLOSE_REASONS) yield [{ port: String(p.port), reason }, pick(p.tcp)];
    }),
    publishMetric(registry, 'counter', TCP_PAUSED, 'Times reading paused on a client TCP connection: max_inflight queries in flight, or max_unsent reply bytes not read by the client.', ['port', 'reason'], function* () {
      for (const p of ports()) {
        yield [{ port: String(p.port), reason: 'max_inflight' }, p.tcp.pausedInflight];
        yield [{ port: String(p.port), reason: 'max_unsent' }, p.tcp.pausedUnsent];
      }
    }),
    publishMetric(registry, 'counter', TLS_HANDSHAKE_FAILURES, 'TLS handshakes with clients that failed on the DoT and DoH listeners (bad certificate, protocol error, timeout).', ['port'], per((c) => c.tlsErrors)),
  ];
  return () => { for (const off of offs) off(); };
}
