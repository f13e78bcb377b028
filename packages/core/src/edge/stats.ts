/** What the edge counts (plain fields; metrics read them at scrape time). */
export class EdgeStats {
  /** Queries read from a socket. */
  received = 0;
  /** Datagrams or frames dropped unanswered: shorter than a header, QR set, or during shutdown. */
  dropped = 0;
  /** Malformed queries (and meta-type QTYPEs) answered with FORMERR. */
  formerr = 0;
  /** Opcodes other than QUERY, answered with NOTIMP. */
  notimp = 0;
  /** Queries with an EDNS version other than 0, answered with BADVERS. */
  badvers = 0;
  /** Queries answered REFUSED by the edge: no server block covers them, zone transfers, classes other than IN. */
  refused = 0;
  /** Chains that threw or rejected, answered with SERVFAIL. */
  errors = 0;
}
