// GET /v1/catalog/services, /v1/catalog/nodes and /v1/catalog/node/:node (notes §3).
import { canReadNodes, canReadService } from '../acl.js';
import { block, parseBlocking } from './blocking.js';
import { isReply, readHeaders, serverRead } from './consistency.js';
import type { HttpContext } from './context.js';
import { json, type Reply } from './reply.js';
import { nodeJson } from './shapes.js';

/** The shared part: parameters, the server check and the wait on the global index. */
async function catalogRead(ctx: HttpContext, key: string, body: () => unknown, filtered: () => boolean): Promise<Reply> {
  const b = parseBlocking(ctx.url);
  if (isReply(b)) return b;
  const meta = serverRead(ctx, `${key}|${ctx.token ?? ''}`);
  if (isReply(meta)) return meta;
  await block(ctx, b, () => ctx.catalog.index);
  const headers = readHeaders(ctx, meta, ctx.catalog.index);
  if (filtered()) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return json(body(), headers, ctx.url.searchParams.has('pretty'));
}

export function catalogServices(ctx: HttpContext): Promise<Reply> {
  const all = (): Array<[string, string[]]> => [...ctx.catalog.serviceTags()];
  return catalogRead(
    ctx, 'services',
    () => Object.fromEntries(all().filter(([name]) => canReadService(ctx.grant, name))),
    () => all().some(([name]) => !canReadService(ctx.grant, name)),
  );
}

export function catalogNodes(ctx: HttpContext): Promise<Reply> {
  const readable = canReadNodes(ctx.grant);
  return catalogRead(
    ctx, 'nodes',
    () => (readable ? ctx.catalog.nodes().map((n) => nodeJson(n, ctx.cfg)) : []),
    () => !readable && ctx.catalog.nodes().length > 0,
  );
}

/** `null` for an unknown node, as Consul answers. */
export function catalogNode(name: string, ctx: HttpContext): Promise<Reply> {
  const readable = canReadNodes(ctx.grant);
  return catalogRead(ctx, `node|${name}`, () => {
    const n = ctx.catalog.node(name);
    if (n === undefined || !readable) return null;
    const services = ctx.catalog.servicesOn(n.name).filter((s) => canReadService(ctx.grant, s.name)).map((s) => [s.id, {
      ID: s.id, Service: s.name, Tags: [...s.tags], Address: s.address, Port: s.port, Meta: { ...s.meta },
      Weights: { ...s.weights }, EnableTagOverride: false, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
    }]);
    return { Node: nodeJson(n, ctx.cfg), Services: Object.fromEntries(services) };
  }, () => !readable);
}
