// GET /v1/query/:id/execute: the HTTP side of prepared queries (notes §5).
import { canReadService } from '../acl.js';
import { dnsHealthy, matchesQueryTags } from '../filters.js';
import { formatGoDuration } from '../duration.js';
import { isReply, serverRead } from './consistency.js';
import type { HttpContext } from './context.js';
import { json, text, type Reply } from './reply.js';
import { healthEntry } from './shapes.js';

export function executeQuery(idOrName: string, ctx: HttpContext): Reply {
  const meta = serverRead(ctx, `query|${idOrName}|${ctx.token ?? ''}`);
  if (isReply(meta)) return meta;
  ctx.counters.rpc_prepared_query_execute++;
  const q = ctx.catalog.preparedQuery(idOrName);
  if (q === undefined) return text(404, 'Query not found');
  const nodes = canReadService(ctx.grant, q.service)
    ? ctx.catalog.instances(q.service).filter((i) => matchesQueryTags(i, q.tags) && dnsHealthy(i, q.onlyPassing))
    : [];
  return json({
    Service: q.service, Nodes: nodes.map((i) => healthEntry(i, ctx.cfg)),
    DNS: { TTL: q.ttl === undefined ? '' : formatGoDuration(q.ttl) }, Datacenter: ctx.cfg.datacenter, Failovers: 0,
  }, { 'X-Consul-Index': String(Math.max(1, ctx.catalog.index)) }, ctx.url.searchParams.has('pretty'));
}
