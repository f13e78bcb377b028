import type { Duration } from '../units.js';

/**
 * An exchange with an upstream failed: a socket error, a closed connection, a bad address.
 * `upstream` is "HOST:PORT"; `cause` holds the underlying error when there is one.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(message: string, readonly upstream: string, options?: { cause?: unknown }) {
    super(`${upstream}: ${message}`, options);
  }
}

/** No acceptable reply arrived before the deadline. */
export class UpstreamTimeout extends UpstreamError {
  override name = 'UpstreamTimeout';
  constructor(upstream: string, readonly timeout: Duration) {
    super(`no reply within ${timeout}ms`, upstream);
  }
}

/** The caller's signal aborted the exchange; `cause` is the signal's reason. */
export class UpstreamAborted extends UpstreamError {
  override name = 'UpstreamAborted';
  constructor(upstream: string, reason: unknown) {
    super('aborted', upstream, { cause: reason });
  }
}
