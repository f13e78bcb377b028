// The Consul endpoints the simulator serves, by path. All are GET (HEAD works too).
import { agentSelf, statusLeader, statusPeers } from './agent.js';
import { catalogNode, catalogNodes, catalogServices } from './catalog.js';
import type { HttpContext } from './context.js';
import { healthService } from './health.js';
import { healthState } from './health-state.js';
import { executeQuery } from './query.js';
import { text, type Reply } from './reply.js';

type Ports = { dns: number; http: number };
type Handler = (ctx: HttpContext, param: string, ports: Ports) => Reply | Promise<Reply>;

const ROUTES: ReadonlyArray<readonly [RegExp, Handler]> = [
  [/^\/v1\/health\/service\/?(.*)$/, (ctx, svc) => healthService(svc, ctx)],
  [/^\/v1\/health\/connect\/?(.*)$/, (ctx, svc) => healthService(svc, ctx, 'connect')],
  [/^\/v1\/health\/ingress\/?(.*)$/, (ctx, svc) => healthService(svc, ctx, 'ingress')],
  [/^\/v1\/health\/state\/([^/]+)$/, (ctx, state) => healthState(state, ctx)],
  [/^\/v1\/catalog\/services$/, (ctx) => catalogServices(ctx)],
  [/^\/v1\/catalog\/nodes$/, (ctx) => catalogNodes(ctx)],
  [/^\/v1\/catalog\/node\/(.+)$/, (ctx, node) => catalogNode(node, ctx)],
  [/^\/v1\/agent\/self$/, (ctx, _, ports) => agentSelf(ctx, ports.dns, ports.http)],
  [/^\/v1\/status\/leader$/, (ctx) => statusLeader(ctx)],
  [/^\/v1\/status\/peers$/, (ctx) => statusPeers(ctx)],
  [/^\/v1\/query\/([^/]+)\/execute$/, (ctx, id) => executeQuery(id, ctx)],
];

export function route(method: string, ctx: HttpContext, ports: Ports): Reply | Promise<Reply> {
  const path = ctx.url.pathname;
  for (const [pattern, handler] of ROUTES) {
    const m = path.match(pattern);
    if (m === null) continue;
    if (method !== 'GET' && method !== 'HEAD') return text(405, `method ${method} not allowed`);
    return handler(ctx, decodeURIComponent(m[1] ?? ''), ports);
  }
  return text(404, `Not found: ${path}`);
}
