import { isIP } from 'node:net';
import { optionChecks, type Duration, type UpstreamAddress, type UpstreamTls } from '@dnsmesh/core';

/** How the next upstream is picked for each query. */
export type Policy = 'random' | 'round_robin' | 'sequential';
export const POLICIES: readonly Policy[] = ['random', 'round_robin', 'sequential'];

/** What forward does, from a Corefile or from code. Durations in ms. */
export interface ForwardOptions {
  /** The zone it forwards (canonical, trailing dot); other names go to the next plugin. */
  readonly from: string;
  /** 1 to 15 upstreams: IP literals and ports. */
  readonly to: readonly UpstreamAddress[];
  /** Names (and what lies below them) that go to the next plugin instead. */
  readonly except: readonly string[];
  /** Always ask over TCP. Wins over `preferUdp`. */
  readonly forceTcp: boolean;
  /** Ask over UDP even for TCP clients; a truncated answer is asked again over TCP. */
  readonly preferUdp: boolean;
  /** Consecutive failures after which an upstream is down (and health-checked until it answers). 0: never down. */
  readonly maxFails: number;
  /** Idle TCP connections to an upstream close after this long. */
  readonly expire: Duration;
  /** How often a failing upstream is probed. */
  readonly healthCheck: Duration;
  /** The name the probe asks for (type NS). */
  readonly healthCheckDomain: string;
  readonly policy: Policy;
  /**
   * Queries in flight at once, and tries outstanding at any one upstream; beyond, a query gets
   * REFUSED at once (EDE 0). 0: no limit.
   */
  readonly maxConcurrent: number;
  /**
   * The upstreams' AD bit is believed (they validate, on a path nobody can tamper with): AD is
   * asked for and passed on to clients that ask (AD or DO). Off: AD is cleared from every reply.
   */
  readonly trustAd: boolean;
  /** The UDP payload size dnsmesh's OPT advertises to the upstreams (Unbound's edns-buffer-size). */
  readonly ednsBufferSize: number;
  /** Outgoing UDP sockets open at once (one per try in flight); tries beyond wait for one. */
  readonly maxUdpSockets: number;
}

/** Every default, as CoreDNS has them. */
export const DEFAULTS = {
  from: '.',
  except: [] as readonly string[],
  forceTcp: false,
  preferUdp: false,
  maxFails: 2,
  expire: 10_000,
  healthCheck: 500,
  healthCheckDomain: '.',
  policy: 'random' as Policy,
  trustAd: false,
  ednsBufferSize: 1232,
  maxConcurrent: 1000,
  maxUdpSockets: 1024,
} as const;

/** Limits that the Corefile and the code factory both check. */
export const LIMITS = {
  upstreams: 15,
  maxFails: { min: 0, max: 10_000 },
  expire: { min: 0, max: 3_600_000 },
  healthCheck: { min: 10, max: 3_600_000 },
  maxConcurrent: { min: 0, max: 1_000_000 },
  ednsBufferSize: { min: 512, max: 4096 },
  maxUdpSockets: { min: 1, max: 65_535 },
} as const;

/** Fixed timings (CoreDNS's): the whole query, one health probe. */
export const TIMEOUTS = { query: 5000, probe: 1000 } as const;

/**
 * The retransmission timeout of a try (ms), Unbound style: srtt + 4 × rttvar within [min, max],
 * `initial` for an upstream not heard from yet, doubled per timer that runs out. Unbound's floor
 * (50 ms) and first guess (376 ms) are for authoritative servers; a forward's upstream is a
 * resolver whose cache hits take a millisecond and its misses tens to hundreds: with Unbound's floor
 * most slow misses would be asked twice, so the floor is 200 ms and the first guess 1 s. A floor
 * much higher costs every datagram the network or a busy upstream drops that much latency (at
 * 500 ms it was most of the average in the unique-name flood, bench/perf.mjs). The ceiling is the
 * query's whole budget.
 */
export const RTO = { initial: 1000, min: 200, max: TIMEOUTS.query } as const;

/**
 * `IP`, `IP:PORT`, `[IPv6]:PORT`, optionally behind `dns://`; the port defaults to 53. Only IP
 * literals: no name is ever looked up, and a resolv.conf path is refused. Throws an Error whose
 * message says what is wrong (callers add where).
 */
export function parseUpstream(text: string): UpstreamAddress {
  let rest = text;
  let secure = false;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (scheme !== null) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'dns' && name !== 'tls') {
      throw new Error(`'${scheme[1]}' is not supported as a destination protocol (dns:// or tls://): ${text}`);
    }
    secure = name === 'tls';
    rest = rest.slice(scheme[0].length);
  }
  if (rest.includes('/')) {
    throw new Error(`'${text}' looks like a file: reading upstreams from a resolv.conf file is not supported; give IP addresses`);
  }
  let host: string;
  let port = secure ? '853' : '53';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    host = close < 0 ? rest : rest.slice(1, close);
    const after = close < 0 ? '' : rest.slice(close + 1);
    if (close < 0 || (after !== '' && !after.startsWith(':'))) throw new Error(`expected IP[:PORT] or [IPv6]:PORT, got '${text}'`);
    if (after !== '') port = after.slice(1);
  } else if (isIP(rest) === 6) {
    host = rest;
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) port = rest.slice(colon + 1);
  }
  if (isIP(host) === 0) {
    throw new Error(`'${host}' is not an IP address: upstreams must be IP literals (names are not resolved)`);
  }
  if (rest.startsWith('[') && isIP(host) !== 6) throw new Error(`'${host}' in brackets is not an IPv6 address`);
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`port '${port}' of '${text}' is not between 1 and 65535`);
  return secure ? { host, port: n, tls: {} } : { host, port: n };
}

/** What the code factory `forward(input)` takes: the Corefile's options, in code. Durations in ms. */
export interface ForwardInput {
  /** Default '.' (every name). */
  readonly from?: string;
  /** 'IP', 'IP:PORT', '[IPv6]:PORT', 'dns://IP:PORT', 'tls://IP[:PORT]' (DNS over TLS, port 853), or { host, port, tls? }: 1 to 15. */
  readonly to: readonly (string | UpstreamAddress)[];
  readonly except?: readonly string[];
  readonly forceTcp?: boolean;
  readonly preferUdp?: boolean;
  readonly maxFails?: number;
  readonly expire?: Duration;
  readonly healthCheck?: Duration;
  readonly healthCheckDomain?: string;
  readonly policy?: Policy;
  readonly maxConcurrent?: number;
  /** For the tls:// upstreams: the name their certificate must be valid for, a CA, a client certificate. */
  readonly tls?: UpstreamTls;
  readonly trustAd?: boolean;
  readonly ednsBufferSize?: number;
  readonly maxUdpSockets?: number;
}

/** Checks code input once, with the Corefile's limits; a TypeError names the option. */
export function resolveOptions(input: ForwardInput, zone: (text: string) => string): ForwardOptions {
  const { bad, intIn, msIn, zoneOf } = optionChecks('forward', zone);

  if (!Array.isArray(input.to) || input.to.length === 0) bad('to', 'needs at least one upstream');
  if (input.to.length > LIMITS.upstreams) bad('to', `more than ${LIMITS.upstreams} upstreams: ${input.to.length}`);
  const to = input.to.map((t, i) => {
    if (typeof t !== 'string') {
      if (isIP(t?.host ?? '') === 0) bad(`to[${i}]`, `'${t?.host}' is not an IP address`);
      return { host: t.host, port: intIn(`to[${i}].port`, t.port, { min: 1, max: 65535 }) };
    }
    try { return parseUpstream(t); } catch (err) { return bad(`to[${i}]`, (err as Error).message); }
  }).map((u) => withTls(u, input.tls));
  const policy = input.policy ?? DEFAULTS.policy;
  if (!POLICIES.includes(policy)) bad('policy', `unknown policy '${String(policy)}' (random, round_robin or sequential)`);
  return {
    from: zoneOf('from', input.from ?? DEFAULTS.from),
    to,
    except: (input.except ?? []).map((z, i) => zoneOf(`except[${i}]`, z)),
    forceTcp: input.forceTcp ?? DEFAULTS.forceTcp,
    preferUdp: input.preferUdp ?? DEFAULTS.preferUdp,
    maxFails: intIn('maxFails', input.maxFails ?? DEFAULTS.maxFails, LIMITS.maxFails),
    expire: msIn('expire', input.expire ?? DEFAULTS.expire, LIMITS.expire),
    healthCheck: msIn('healthCheck', input.healthCheck ?? DEFAULTS.healthCheck, LIMITS.healthCheck),
    healthCheckDomain: zoneOf('healthCheckDomain', input.healthCheckDomain ?? DEFAULTS.healthCheckDomain),
    policy,
    maxConcurrent: intIn('maxConcurrent', input.maxConcurrent ?? DEFAULTS.maxConcurrent, LIMITS.maxConcurrent),
    trustAd: input.trustAd ?? DEFAULTS.trustAd,
    ednsBufferSize: intIn('ednsBufferSize', input.ednsBufferSize ?? DEFAULTS.ednsBufferSize, LIMITS.ednsBufferSize),
    maxUdpSockets: intIn('maxUdpSockets', input.maxUdpSockets ?? DEFAULTS.maxUdpSockets, LIMITS.maxUdpSockets),
  };
}

/** A tls:// upstream with the forward's `tls` and `tls_servername` settings; others unchanged. */
export function withTls(u: UpstreamAddress, settings: UpstreamTls | undefined): UpstreamAddress {
  return u.tls === undefined || settings === undefined ? u : { ...u, tls: { ...u.tls, ...settings } };
}
