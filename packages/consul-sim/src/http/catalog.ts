// GET /v1/catalog/services, /v1/catalog/nodes and /v1/catalog/node/:node (notes §3).
import { canReadNodes, canReadService } from '../acl.js';
import { block, parseBlocking } from './blocking.js';
import { isReply, readHeaders, serverRead } from './consistency.js';
import { readScope, type HttpContext } from './context.js';
import { json, type Reply } from './reply.js';
import { nodeJson } from './shapes.js';

/** The shared part: parameters, the server check and the wait on the global index. */
async function catalogRead(ctx: HttpContext, key: string, body: () => unknown, filtered: () => boolean, index = (): number => ctx.catalog.index): Promise<Reply> {
  const b = parseBlocking(ctx.url);
  if (isReply(b)) return b;
  const meta = serverRead(ctx, `${key}|${ctx.token ?? ''}`);
  if (isReply(meta)) return meta;
  await block(ctx, b, index);
  const headers = readHeaders(ctx, meta, index());
  if (filtered()) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return json(body(), headers, ctx.url.searchParams.has('pretty'));
}

/**
 * name -> tags of the services in the read's datacenter, namespace and partition. Its index is the
 * services table's, as Consul's: a registration, a deregistration or a change of a service moves
 * it; a check's status does not.
 */
export function catalogServices(ctx: HttpContext): Promise<Reply> {
  const scope = readScope(ctx);
  const all = (): Array<[string, string[]]> => [...ctx.catalog.serviceTags(scope)];
  return catalogRead(
    ctx, `services|${scope.dc ?? ''}|${scope.ns}|${scope.ap}`,
    () => Object.fromEntries(all().filter(([name]) => canReadService(ctx.grant, name))),
    () => all().some(([name]) => !canReadService(ctx.grant, name)),
    () => ctx.catalog.servicesIndex,
  );
}

export function catalogNodes(ctx: HttpContext): Promise<Reply> {
  const readable = canReadNodes(ctx.grant);
  return catalogRead(
    ctx, 'nodes',
    () => (readable ? ctx.catalog.nodes().filter((n) => n.datacenter === readScope(ctx).dc).map((n) => nodeJson(n, ctx.cfg)) : []),
    () => !readable && ctx.catalog.nodes().length > 0,
  );
}

/** `null` for an unknown node, as Consul answers. */
export function catalogNode(name: string, ctx: HttpContext): Promise<Reply> {
  const readable = canReadNodes(ctx.grant);
  return catalogRead(ctx, `node|${name}`, () => {
    const n = ctx.catalog.node(name);
    if (n === undefined || !readable || n.datacenter !== readScope(ctx).dc) return null;
    const services = ctx.catalog.servicesOn(n.name).filter((s) => canReadService(ctx.grant, s.name)).map((s) => [s.id, {
      ID: s.id, Service: s.name, Tags: [...s.tags], Address: s.address, Port: s.port, Meta: { ...s.meta },
      Weights: { ...s.weights }, EnableTagOverride: false, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
    }]);
    return { Node: nodeJson(n, ctx.cfg), Services: Object.fromEntries(services) };
  }, () => !readable);
}
