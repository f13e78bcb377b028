import type { Transport } from '../context.js';
import type { Duration } from '../units.js';

/** How an upstream was asked: UDP, TCP, or TLS (an upstream with `tls` settings is always asked over TLS). */
export type UpstreamTransport = Transport | 'tls';

/** How one exchange runs. */
export interface ExchangeOptions {
  /** 'udp' (the default) or 'tcp'; an upstream with `tls` settings is asked over TLS whatever this says. */
  readonly transport?: UpstreamTransport;
  /**
   * How long to wait for an acceptable reply, in ms. `Infinity`: no timer of the exchange's own;
   * the caller ends it with `cancel` or `signal` (the forward plugin, whose one timer a query does).
   */
  readonly timeout: Duration;
  /** Aborting rejects the exchange with UpstreamAborted and frees its socket at once. */
  readonly signal?: AbortSignal;
  /**
   * The same as `signal` without an AbortSignal (which costs microseconds per query in Node):
   * called once, at the start, with a function that ends the exchange early the same way. Calling
   * that function after the exchange has settled does nothing.
   */
  readonly cancel?: (stop: (reason?: unknown) => void) => void;
}
