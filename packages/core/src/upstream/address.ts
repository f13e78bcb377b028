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
