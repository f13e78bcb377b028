// GET /v1/health/service/:svc (notes §3).
import { canReadService } from '../acl.js';
import { allPassing, hasTags } from '../filters.js';
import { block, parseBlocking } from './blocking.js';
import { isReply, readHeaders, serverRead } from './consistency.js';
import { readScope, type HttpContext } from './context.js';
import { compileFilter } from './filter.js';
import { json, text, type Reply } from './reply.js';
import { healthEntry } from './shapes.js';

/** Go's strconv.ParseBool, plus a bare `?passing`. */
function passingParam(url: URL): boolean | undefined {
  const raw = url.searchParams.get('passing');
  if (raw === null || raw === '') return raw === '';
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return undefined;
}

export async function healthService(name: string, ctx: HttpContext, kind: 'service' | 'connect' | 'ingress' = 'service'): Promise<Reply> {
  const { url, catalog, cfg } = ctx;
  if (name === '') return text(400, 'Missing service name');
  const passing = passingParam(url);
  if (passing === undefined) return text(400, 'Invalid value for ?passing');
  const b = parseBlocking(url);
  if (isReply(b)) return b;
  const tags = url.searchParams.getAll('tag');
  const filter = compileFilter(url.searchParams.get('filter'));
  const meta = serverRead(ctx, `health-${kind}|${name}|${tags.join(',')}|${passing}|${url.searchParams.get('filter') ?? ''}|${ctx.token ?? ''}`);
  if (isReply(meta)) return meta;

  await block(ctx, b, () => catalog.serviceIndex(name));

  const readable = canReadService(ctx.grant, name);
  const all = !readable ? [] : kind === 'connect' ? catalog.connectInstances(name) : kind === 'ingress' ? catalog.ingressInstances(name) : catalog.instances(name);
  const scope = readScope(ctx);
  const body = all
    .filter((i) => catalog.inScope(i, scope) && hasTags(i, tags) && (!passing || allPassing(i)))
    .map((i) => healthEntry(i, cfg))
    .filter(filter);
  const headers = readHeaders(ctx, meta, catalog.serviceIndex(name));
  if (!readable && catalog.instances(name).length > 0) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return json(body, headers, url.searchParams.has('pretty'));
}
