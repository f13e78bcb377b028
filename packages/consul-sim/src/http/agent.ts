// GET /v1/agent/self and /v1/status/{leader,peers}: answered by the agent itself (notes §3).
import { formatGoDuration } from '../duration.js';
import { stableId } from '../state.js';
import type { HttpContext } from './context.js';
import { json, text, type Reply } from './reply.js';

/** The simulator is a one-server cluster: its own node is the server and, normally, the leader. */
export function serverAddress(ctx: HttpContext): string {
  const address = ctx.catalog.node(ctx.cfg.nodeName)?.address ?? ctx.cfg.host;
  return `${address.includes(':') ? `[${address}]` : address}:8300`; // Go's net.JoinHostPort
}

export function agentSelf(ctx: HttpContext, dnsPort: number, httpPort: number): Reply {
  const { cfg } = ctx;
  if (ctx.grant !== 'all') {
    return text(403, `Permission denied: token with AccessorID '${stableId(`token:${ctx.token ?? 'anonymous'}`)}' lacks permission 'agent:read' on "${cfg.nodeName}"`);
  }
  const self = ctx.catalog.node(cfg.nodeName);
  const serviceTtl = Object.fromEntries([...cfg.serviceTtl].map(([k, v]) => [k, formatGoDuration(v)]));
  return json({
    Config: {
      Datacenter: cfg.datacenter, PrimaryDatacenter: cfg.datacenter, NodeName: cfg.nodeName,
      NodeID: self?.id ?? stableId(cfg.nodeName), Server: true, Revision: 'consul-sim', Version: cfg.version,
      BuildDate: '2024-01-01T00:00:00Z',
    },
    // Consul calls this format unstable; these are the DNS keys a client may want to read.
    DebugConfig: {
      Datacenter: cfg.datacenter, NodeName: cfg.nodeName, DNSDomain: `${cfg.domain}.`,
      DNSAltDomain: cfg.altDomain === undefined ? '' : `${cfg.altDomain}.`, DNSPort: dnsPort, HTTPPort: httpPort,
      DNSNodeTTL: formatGoDuration(cfg.nodeTtl), DNSServiceTTL: serviceTtl, DNSEnableTruncate: cfg.enableTruncate,
      DNSOnlyPassing: cfg.onlyPassing, DNSUDPAnswerLimit: cfg.udpAnswerLimit, DNSARecordLimit: cfg.aRecordLimit,
      DNSNodeMetaTXT: cfg.nodeMetaTxt, DNSAllowStale: cfg.allowStale, DNSMaxStale: formatGoDuration(Math.floor(cfg.maxStaleMs / 1000)),
      DNSUseCache: cfg.useCache, DNSCacheMaxAge: '0s', DNSRecursors: [...cfg.recursors],
      DNSSOA: { Refresh: cfg.soa.refresh, Retry: cfg.soa.retry, Expire: cfg.soa.expire, Minttl: cfg.soa.minTtl },
      ACLsEnabled: cfg.acl !== undefined,
    },
    Member: { Name: cfg.nodeName, Addr: self?.address ?? cfg.host, Port: 8301, Tags: { dc: cfg.datacenter, role: 'consul' }, Status: 1 },
    Meta: { 'consul-network-segment': '', 'consul-version': cfg.version },
    Coord: null,
    Stats: {},
  }, {}, ctx.url.searchParams.has('pretty'));
}

export function statusLeader(ctx: HttpContext): Reply {
  if (ctx.failures.has('no_servers')) return text(500, 'No known Consul servers');
  return json(ctx.failures.has('no_leader') ? '' : serverAddress(ctx));
}

export function statusPeers(ctx: HttpContext): Reply {
  if (ctx.failures.has('no_servers')) return text(500, 'No known Consul servers');
  return json([serverAddress(ctx)]);
}
