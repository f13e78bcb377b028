import { parseClientTls as parseTls, type Directive, type Property, type Token, type UpstreamTls } from '@dnsmesh/core';
import { DEFAULTS, LIMITS, parseUpstream, POLICIES, withTls, type ForwardOptions, type Policy } from './options.js';

/** CoreDNS options dnsmesh does not have: named so the message says so, rather than "unknown". */
const UNSUPPORTED = new Set([
  'max_idle_conns', 'max_age', 'read_timeout', 'max_connect_attempts', 'next',
  'next_on_nodata', 'failover', 'failfast_all_unhealthy_upstreams', 'source_address', 'resolver', 'doh_method',
]);

/**
 * `forward FROM TO... { except NAMES... | force_tcp | prefer_udp | max_fails N | expire D |
 * health_check D [no_rec] [domain NAME] | policy random|round_robin|sequential | max_concurrent N |
 * tls [CERT KEY] [CA] | tls_servername NAME |
 * trust_ad | edns_buffer_size N | max_udp_sockets N }` (trust_ad, edns_buffer_size and max_udp_sockets are dnsmesh's own)
 */
export function parse(d: Directive): ForwardOptions {
  const args = d.expectArgs(2);
  const from = args[0]!.zone();
  const toTokens = args.slice(1);
  if (toTokens.length > LIMITS.upstreams) {
    throw toTokens[LIMITS.upstreams]!.fail(`more than ${LIMITS.upstreams} upstreams (TO) configured: ${toTokens.length}`);
  }
  let to = toTokens.map((t) => upstream(t));

  let except: string[] = [];
  let forceTcp: boolean = DEFAULTS.forceTcp;
  let preferUdp: boolean = DEFAULTS.preferUdp;
  let maxFails: number = DEFAULTS.maxFails;
  let expire: number = DEFAULTS.expire;
  let healthCheck: number = DEFAULTS.healthCheck;
  let healthCheckDomain: string = DEFAULTS.healthCheckDomain;
  let policy: Policy = DEFAULTS.policy;
  let maxConcurrent: number = DEFAULTS.maxConcurrent;
  let trustAd: boolean = DEFAULTS.trustAd;
  let ednsBufferSize: number = DEFAULTS.ednsBufferSize;
  let maxUdpSockets: number = DEFAULTS.maxUdpSockets;
  let tls: UpstreamTls | undefined;
  let servername: string | undefined;
  const seen = new Set<string>();
  for (const p of d.block) {
    const name = p.name.text;
    if (seen.has(name) && name !== 'except') throw p.fail(`${name} is set twice`);
    seen.add(name);
    switch (name) {
      case 'except': except = [...except, ...p.expectArgs(1).map((t) => t.zone())]; break;
      case 'force_tcp': p.expectArgs(0, 0); forceTcp = true; break;
      case 'prefer_udp': p.expectArgs(0, 0); preferUdp = true; break;
      case 'max_fails': maxFails = p.expectArgs(1, 1)[0]!.int(LIMITS.maxFails); break;
      case 'expire': expire = p.expectArgs(1, 1)[0]!.duration(LIMITS.expire); break;
      case 'health_check': ({ healthCheck, healthCheckDomain } = parseHealthCheck(p)); break;
      case 'policy': policy = parsePolicy(p.expectArgs(1, 1)[0]!); break;
      case 'max_concurrent': maxConcurrent = p.expectArgs(1, 1)[0]!.int(LIMITS.maxConcurrent); break;
      case 'trust_ad': p.expectArgs(0, 0); trustAd = true; break;
      case 'edns_buffer_size': ednsBufferSize = p.expectArgs(1, 1)[0]!.int(LIMITS.ednsBufferSize); break;
      case 'tls': tls = parseTls(p); break;
      case 'tls_servername': servername = p.expectArgs(1, 1)[0]!.text; break;
      case 'max_udp_sockets': maxUdpSockets = p.expectArgs(1, 1)[0]!.int(LIMITS.maxUdpSockets); break;
      default:
        if (UNSUPPORTED.has(name)) throw p.fail(`'${name}' (a CoreDNS forward option) is not supported by dnsmesh`);
        throw p.fail(`unknown property '${name}'`);
    }
  }
  if (tls !== undefined || servername !== undefined) {
    if (!to.some((u) => u.tls !== undefined)) throw d.fail('tls and tls_servername need a tls:// upstream (TO)');
    to = to.map((u) => withTls(u, { ...tls, ...(servername !== undefined ? { servername } : {}) }));
  }
  return { from, to, except, forceTcp, preferUdp, maxFails, expire, healthCheck, healthCheckDomain, policy, maxConcurrent, trustAd, ednsBufferSize, maxUdpSockets };
}

function upstream(t: Token): ForwardOptions['to'][number] {
  try {
    return parseUpstream(t.text);
  } catch (err) {
    throw t.fail((err as Error).message);
  }
}

/** `health_check DURATION [no_rec] [domain NAME]` (CoreDNS's form; dnsmesh's probe never sets RD). */
function parseHealthCheck(p: Property): { healthCheck: number; healthCheckDomain: string } {
  const args = p.expectArgs(1, 4);
  const healthCheck = args[0]!.duration(LIMITS.healthCheck);
  let healthCheckDomain: string = DEFAULTS.healthCheckDomain;
  for (let i = 1; i < args.length; i++) {
    const opt = args[i]!;
    if (opt.text === 'no_rec') continue;
    if (opt.text === 'domain') {
      const name = args[++i];
      if (name === undefined) throw opt.fail('health_check: domain needs a name');
      healthCheckDomain = name.zone();
      continue;
    }
    throw opt.fail(`health_check: unknown option '${opt.text}' (no_rec or domain NAME)`);
  }
  return { healthCheck, healthCheckDomain };
}

function parsePolicy(t: Token): Policy {
  if ((POLICIES as readonly string[]).includes(t.text)) return t.text as Policy;
  throw t.fail(`unknown policy '${t.text}' (random, round_robin or sequential)`);
}

