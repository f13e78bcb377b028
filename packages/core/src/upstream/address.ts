import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';

/** Where an upstream listens: an IP literal (never a name: no lookup happens here) and a port. */
export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
  /** Set for a DNS-over-TLS upstream (RFC 7858): how its certificate is checked, and ours. */
  readonly tls?: UpstreamTls;
}

/**
 * A DNS-over-TLS upstream's settings (CoreDNS's forward `tls CERT KEY CA` and `tls_servername`):
 * the certificate must be valid for `servername` (else for the IP address) and signed by `ca`
 * (else by a system CA); `cert` and `key` are a client certificate, for upstreams that ask one.
 */
export interface UpstreamTls {
  readonly servername?: string;
  /** One CA certificate (PEM), or several. */
  readonly ca?: Buffer | readonly Buffer[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** "127.0.0.1:53", "[::1]:53": the form used in messages, logs and metric labels. */
export function formatAddress(a: UpstreamAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** 4 or 6 for an IP literal, 0 for anything else (which the transport refuses). */
export function addressFamily(a: UpstreamAddress): 0 | 4 | 6 {
  return isIP(a.host) as 0 | 4 | 6;
}

/** The IPv4 upstreams of IPv4-mapped IPv6 ones (`::ffff:192.0.2.1`), made once each. */
const unmapped = new WeakMap<UpstreamAddress, UpstreamAddress>();

/**
 * The address to send to: an IPv4-mapped IPv6 upstream (`::ffff:a.b.c.d`) as its IPv4 address
 * (what a dual-stack socket sends to anyway; our IPv6 sockets may be IPv6-only), else `a` itself.
 */
export function sendingAddress(a: UpstreamAddress): UpstreamAddress {
  if (!a.host.includes(':')) return a;
  let v4 = unmapped.get(a);
  if (v4 === undefined) {
    const m = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(canonicalIpv6(a.host));
    if (m === null) v4 = a;
    else {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      v4 = { ...a, host: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` };
    }
    unmapped.set(a, v4);
  }
  return v4;
}

/** True when a datagram's source address is the upstream's host (IPv6 compared in canonical form). */
export function sameHost(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  if (!expected.includes(':') || !actual.includes(':')) return false;
  return canonicalIpv6(expected) === canonicalIpv6(actual);
}

function canonicalIpv6(host: string): string {
  try {
    return new URL(`http://[${host}]/`).hostname;
  } catch {
    return host;
  }
}

// Query IDs come from a pooled random buffer: one randomFillSync per 1024 IDs.
const POOL = Buffer.allocUnsafe(2048);
let poolAt = POOL.length;

/** A random 16-bit query ID (RFC 5452: the ID and the source port are the only entropy). */
export function randomId(): number {
  if (poolAt >= POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const id = POOL.readUInt16BE(poolAt);
  poolAt += 2;
  return id;
}

/** A random integer in [0, n), n ≤ 65536, from the same pool (the bias is at most n / 65536). */
export function randomBelow(n: number): number {
  return Math.floor((randomId() * n) / 65536);
}
