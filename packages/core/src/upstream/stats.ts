/**
 * Counters of an upstream client, as plain number fields (read by metrics at scrape time).
 * A reply that is dropped never reaches the caller: the exchange keeps waiting for the real one.
 */
export class UpstreamStats {
  /** Exchanges started, by transport. */
  udpQueries = 0;
  tcpQueries = 0;
  /** Replies accepted and handed back. */
  replies = 0;
  /** Dropped: from the wrong address or port, wrong ID, QR clear, or a different question. */
  spoofed = 0;
  /** Dropped: the reply does not parse. */
  malformed = 0;
  /**
   * UDP replies longer than a batched socket reads (4,096 bytes, more than we advertise): taken cut,
   * as truncated (TC), so the query is asked again over TCP.
   */
  oversize = 0;
  /**
   * Replies for a query that had already ended (timed out, aborted, or answered by another try):
   * over TCP, and over UDP on a pooled socket that carried it.
   */
  late = 0;
  timeouts = 0;
  aborts = 0;
  /** Socket errors and broken connections that failed an exchange. */
  errors = 0;
  /** TCP connections opened, and queries sent on a connection that was already open. */
  tcpConnects = 0;
  tcpReused = 0;
  /** TCP connections closed after `expire` with nothing in flight. */
  tcpIdleCloses = 0;
  /** DNS-over-TLS: exchanges started, handshakes done, those that resumed a session (no full handshake), and TLS failures (handshake, certificate, alert). */
  tlsQueries = 0;
  tlsHandshakes = 0;
  tlsResumed = 0;
  tlsErrors = 0;
  /** DNS-over-TLS exchanges refused at once while the upstream's reconnect backoff runs. */
  tlsBackoffRejects = 0;
}
