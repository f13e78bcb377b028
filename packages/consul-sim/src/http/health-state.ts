// GET /v1/health/state/:state (any|passing|warning|critical): every check in that state, blocking.
// A client watching many services can hold this one query instead of one per service.
import { canReadNodes, canReadService } from '../acl.js';
import { block, parseBlocking } from './blocking.js';
import { isReply, readHeaders, serverRead } from './consistency.js';
import { readScope, type HttpContext } from './context.js';
import { json, text, type Reply } from './reply.js';

const STATES = new Set(['any', 'passing', 'warning', 'critical']);

/**
 * Consul answers from its checks table, whose index moves with check writes; the simulator has one
 * global index, so this query wakes on every write (a superset: a client must diff the body anyway,
 * since a wakeup is no proof of change).
 */
export async function healthState(state: string, ctx: HttpContext): Promise<Reply> {
  if (!STATES.has(state)) return text(400, `Invalid state '${state}'`);
  const b = parseBlocking(ctx.url);
  if (isReply(b)) return b;
  const meta = serverRead(ctx, `state|${state}|${ctx.token ?? ''}`);
  if (isReply(meta)) return meta;
  await block(ctx, b, () => ctx.catalog.index);
  const { catalog, grant } = ctx;
  const out: Array<Record<string, unknown>> = [];
  let filtered = false;
  const keep = (status: string): boolean => state === 'any' || status === state;
  const scope = readScope(ctx);
  for (const n of catalog.nodes()) {
    if (n.datacenter !== scope.dc) continue;
    if (!canReadNodes(grant)) { filtered = true; continue; }
    if (keep(n.serf.status)) {
      out.push({
        Node: n.name, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: n.serf.status, Notes: '', Output: n.serf.output,
        ServiceID: '', ServiceName: '', ServiceTags: [], Type: '', CreateIndex: n.serf.createIndex, ModifyIndex: n.serf.modifyIndex,
      });
    }
    for (const s of catalog.servicesOn(n.name)) {
      if (s.noCheck || s.namespace !== scope.ns || s.partition !== scope.ap) continue;
      if (!canReadService(grant, s.name)) { filtered = true; continue; }
      if (!keep(s.check.status)) continue;
      out.push({
        Node: n.name, CheckID: `service:${s.id}`, Name: `Service '${s.name}' check`, Status: s.check.status, Notes: '',
        Output: s.check.output, ServiceID: s.id, ServiceName: s.name, ServiceTags: [...s.tags], Type: 'ttl',
        CreateIndex: s.check.createIndex, ModifyIndex: s.check.modifyIndex,
      });
    }
  }
  const headers = readHeaders(ctx, meta, catalog.index);
  if (filtered) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return json(out, headers, ctx.url.searchParams.has('pretty'));
}
