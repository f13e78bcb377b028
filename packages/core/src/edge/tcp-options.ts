import type { Duration } from '../units.js';

/**
 * The bounds of the TCP listeners (RFC 7766, RFC 9210): what one client or all of them can hold.
 * Set by the `tcp` directive or `createServer({ tcp })`; every field has a safe default.
 */
export interface TcpOptions {
  /** Open connections per listener. When full, a new connection closes the one that has gone longest without a complete query. */
  readonly maxConnections: number;
  /** Open connections per client address (IPv6: per /64). A connection over it is closed at once. */
  readonly maxPerClient: number;
  /** Queries per connection inside the chain or with their reply not yet written out; reading pauses at this many. */
  readonly maxInflight: number;
  /** Reply bytes per connection not yet taken by the kernel; reading pauses above this until 'drain'. */
  readonly maxUnsent: number;
  /** Reply bytes not yet written out, over every connection of a listener; a reply past it closes its (not reading) connection. */
  readonly maxUnsentTotal: number;
  /** A connection with nothing inside the chain closes after this long without reading a byte or writing one out (RFC 7766 §6.2.3). */
  readonly idleTimeout: Duration;
  /** A query's frame must be whole this long after its first byte; later bytes do not extend it. */
  readonly frameTimeout: Duration;
}

/**
 * Defaults. `maxInflight` 32 is Unbound's simultaneous requests per TCP connection; `maxUnsentTotal`
 * 4 MiB is its `stream-wait-size`; `idleTimeout` 10 s is CoreDNS's (Unbound: 30 s): with eviction
 * when full, a long idle timeout buys nothing but held descriptors.
 */
export const TCP_DEFAULTS: TcpOptions = {
  maxConnections: 1000,
  maxPerClient: 100,
  maxInflight: 32,
  maxUnsent: 64 * 1024,
  maxUnsentTotal: 4 * 1024 * 1024,
  idleTimeout: 10_000,
  frameTimeout: 5_000,
};

/** What each option may be set to (the Corefile and code check the same). */
export const TCP_LIMITS = {
  maxConnections: { min: 1, max: 1_000_000 },
  maxPerClient: { min: 1, max: 1_000_000 },
  maxInflight: { min: 1, max: 65_535 },
  maxUnsent: { min: 1024, max: 1024 ** 3 },
  maxUnsentTotal: { min: 65_536, max: 64 * 1024 ** 3 },
  idleTimeout: { min: 10, max: 3_600_000 },
  frameTimeout: { min: 10, max: 3_600_000 },
} as const satisfies Record<keyof TcpOptions, { min: number; max: number }>;

/** What the TCP listeners of one port counted (plain fields, read at scrape time). */
export class TcpCounts {
  /** Connections accepted. */
  accepted = 0;
  /** Connections closed at accept: the client already had `maxPerClient`. */
  refusedPerClient = 0;
  /** Connections closed to make room for a new one (`maxConnections` reached). */
  evicted = 0;
  /** Connections closed after `idleTimeout` without progress. */
  idleTimeouts = 0;
  /** Connections closed because a frame was not whole within `frameTimeout`. */
  frameTimeouts = 0;
  /** Connections closed because the listener's unsent bytes passed `maxUnsentTotal` (their reply dropped). */
  unsentCloses = 0;
  /** Times reading paused on a connection: `maxInflight` queries in flight, or `maxUnsent` bytes unsent. */
  pausedInflight = 0;
  pausedUnsent = 0;
  /** TLS handshakes that failed (DoT and DoH listeners): a bad or untrusted client certificate, a protocol error, a timeout. */
  tlsErrors = 0;
  /** Now: open connections, and reply bytes not yet written out. */
  open = 0;
  unsent = 0;

  add(o: TcpCounts): void {
    this.accepted += o.accepted; this.refusedPerClient += o.refusedPerClient; this.evicted += o.evicted;
    this.idleTimeouts += o.idleTimeouts; this.frameTimeouts += o.frameTimeouts; this.unsentCloses += o.unsentCloses;
    this.pausedInflight += o.pausedInflight; this.pausedUnsent += o.pausedUnsent; this.tlsErrors += o.tlsErrors; this.open += o.open; this.unsent += o.unsent;
  }
}

/** Checks code input with the Corefile's limits; a TypeError names the option. */
export function resolveTcpOptions(input: Partial<TcpOptions> = {}): TcpOptions {
  const out: Record<string, number> = { ...TCP_DEFAULTS };
  for (const [key, value] of Object.entries(input)) {
    const limit = TCP_LIMITS[key as keyof TcpOptions];
    if (limit === undefined) throw new TypeError(`tcp: unknown option '${key}'`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
      throw new TypeError(`tcp: ${key} must be an integer from ${limit.min} to ${limit.max}, got ${String(value)}`);
    }
    out[key] = value;
  }
  return out as unknown as TcpOptions;
}
