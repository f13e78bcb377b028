// The simulator's own JSON endpoints under /_sim/ (not Consul's): state, counters and failures.
import type { IncomingMessage } from 'node:http';
import type { BigServiceOptions } from '../big-service.js';
import type { Counters } from '../counters.js';
import { FAILURE_MODES, type FailureMode, type FailureOptions } from '../failures.js';
import type { CheckInput, NodeInput, PreparedQueryInput, ServiceInput } from '../state.js';
import { json, type Reply } from './reply.js';

/** The part of ConsulSim the control endpoints drive. */
export interface Control {
  readonly counters: Counters;
  readonly index: number;
  snapshot(): unknown;
  registerNode(n: NodeInput): void;
  deregisterNode(name: string): void;
  registerService(s: ServiceInput): void;
  deregisterService(id: string): void;
  setCheck(c: CheckInput): void;
  setNodeMeta(node: string, meta: Record<string, string>): void;
  bumpIndex(service?: string): number;
  addBigService(name: string, count: number, opts?: BigServiceOptions): string[];
  registerPreparedQuery(q: PreparedQueryInput): void;
  resetCounters(): void;
  failures(): unknown;
  setFailure<M extends FailureMode>(mode: M, opts?: FailureOptions[M]): Promise<void>;
  clearFailure(mode?: FailureMode): Promise<void>;
}

/** The reply, and work to start once it is sent (going down would cut this very response). */
export interface ControlResult { reply: Reply; after?: () => void }

export async function control(req: IncomingMessage, url: URL, sim: Control): Promise<ControlResult> {
  const path = url.pathname.slice('/_sim'.length);
  const method = req.method ?? 'GET';
  try {
    const body = method === 'GET' || method === 'DELETE' ? {} : await readJson(req);
    const ok = (extra: Record<string, unknown> = {}): ControlResult => ({ reply: json({ ok: true, index: sim.index, ...extra }) });
    const route = `${method} ${path.replace(/^\/(service|node|failure)\/.+$/, '/$1/:x')}`;
    const param = decodeURIComponent(path.split('/').slice(2).join('/'));
    switch (route) {
      case 'GET /state': return { reply: json(sim.snapshot()) };
      case 'GET /counters': return { reply: json(sim.counters) };
      case 'POST /counters/reset': sim.resetCounters(); return ok();
      case 'POST /node': sim.registerNode(body as unknown as NodeInput); return ok();
      case 'DELETE /node/:x': sim.deregisterNode(param); return ok();
      case 'POST /service': sim.registerService(body as unknown as ServiceInput); return ok();
      case 'DELETE /service/:x': sim.deregisterService(param); return ok();
      case 'POST /check': sim.setCheck(body as unknown as CheckInput); return ok();
      case 'POST /node-meta': sim.setNodeMeta(String(body['node']), (body['meta'] ?? {}) as Record<string, string>); return ok();
      case 'POST /bump': return ok({ bumped: sim.bumpIndex(body['service'] as string | undefined) });
      case 'POST /big-service': {
        const { name, count, ...opts } = body;
        return ok({ ids: sim.addBigService(String(name), Number(count), opts as BigServiceOptions) });
      }
      case 'POST /query': sim.registerPreparedQuery(body as unknown as PreparedQueryInput); return ok();
      case 'GET /failure': return { reply: json(sim.failures()) };
      case 'POST /failure': {
        const { mode, ...opts } = body;
        if (!FAILURE_MODES.includes(mode as FailureMode)) throw new RangeError(`unknown failure mode ${String(mode)}`);
        const m = mode as FailureMode;
        if (m === 'down') return { ...ok(), after: () => { void sim.setFailure(m, opts); } };
        await sim.setFailure(m, opts as never);
        return ok({ failures: sim.failures() });
      }
      case 'DELETE /failure': await sim.clearFailure(); return ok();
      case 'DELETE /failure/:x': await sim.clearFailure(param as FailureMode); return ok();
      default: return { reply: json({ error: `no control endpoint ${method} ${url.pathname}` }, {}, false, 404) };
    }
  } catch (err) {
    return { reply: json({ error: (err as Error).message }, {}, false, 400) };
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('body must be a JSON object');
  return value as Record<string, unknown>;
}
