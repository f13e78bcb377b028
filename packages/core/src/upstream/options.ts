import type { Transport } from '../context.js';
import type { Duration } from '../units.js';

/** How one exchange runs. */
export interface ExchangeOptions {
  /** 'udp' (the default) or 'tcp'. */
  readonly transport?: Transport;
  /** How long to wait for an acceptable reply, in ms. */
  readonly timeout: Duration;
  /** Aborting rejects the exchange with UpstreamAborted and frees its socket at once. */
  readonly signal?: AbortSignal;
}
