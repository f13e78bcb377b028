import { readFileSync } from 'node:fs';
import { CTL_USAGE, CtlUsageError, parseCtlArgs, type CtlArgs } from './args.js';

/** What a command prints, and its exit status. */
interface Outcome { out: string; code: number }

class CtlError extends Error {}

/** `dnsmesh ctl ...`: talks to the admin endpoint; returns the exit status (0 ok, 1 failed, 2 usage). */
export async function runCtl(argv: readonly string[]): Promise<number> {
  if (argv.some((a) => a === '-h' || a === '-help' || a === '--help')) { process.stdout.write(`${CTL_USAGE}\n`); return 0; }
  let args: CtlArgs;
  try {
    args = parseCtlArgs(argv);
  } catch (err) {
    if (err instanceof CtlUsageError) { process.stderr.write(`dnsmesh ctl: ${err.message}\n${CTL_USAGE}\n`); return 2; }
    throw err;
  }
  try {
    const { out, code } = await command(args);
    process.stdout.write(out);
    return code;
  } catch (err) {
    if (err instanceof CtlError) { process.stderr.write(`dnsmesh ctl: ${err.message}\n`); return 1; }
    throw err;
  }
}

async function command(a: CtlArgs): Promise<Outcome> {
  switch (a.command) {
    case 'status': {
      const body = await call(a, 'GET', '/status');
      return { out: a.json ? body : formatStatus(JSON.parse(body) as Status), code: 0 };
    }
    case 'stats': return { out: await call(a, 'GET', '/stats'), code: 0 };
    case 'dump': {
      const body = await call(a, 'GET', `/cache${selection(a.args)}`);
      return { out: a.json ? body : formatDump(body), code: 0 };
    }
    case 'flush': {
      const path = a.args[0] === 'all' && a.args.length === 1 ? '/cache/flush' : `/cache/flush${selection(a.args)}`;
      const { flushed } = JSON.parse(await call(a, 'POST', path)) as { flushed: number };
      return { out: a.json ? `${JSON.stringify({ flushed })}\n` : `flushed ${flushed} entr${flushed === 1 ? 'y' : 'ies'}\n`, code: 0 };
    }
    case 'reload': {
      const body = await call(a, 'POST', '/reload', [422]);
      const result = JSON.parse(body) as { ok: boolean; error?: string };
      if (a.json) return { out: body, code: result.ok ? 0 : 1 };
      if (result.ok) return { out: 'reloaded\n', code: 0 };
      throw new CtlError(`reload failed, the running configuration keeps serving: ${result.error ?? ''}`);
    }
    default: throw new CtlUsageError(`unknown command '${a.command}'`);
  }
}

function selection(args: readonly string[]): string {
  const params = new URLSearchParams();
  if (args[0] !== undefined) params.set('name', args[0]);
  if (args[1] !== undefined) params.set('type', args[1].toUpperCase());
  const q = params.toString();
  return q === '' ? '' : `?${q}`;
}

function tokenOf(a: CtlArgs): string | undefined {
  if (a.tokenFile === undefined) return a.token;
  try {
    return readFileSync(a.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new CtlError(`cannot read the token file: ${(err as Error).message}`);
  }
}

/** One request to the admin endpoint; the body on 2xx (or an accepted status), else a CtlError that says why. */
async function call(a: CtlArgs, method: 'GET' | 'POST', path: string, accept: readonly number[] = []): Promise<string> {
  const headers: Record<string, string> = {};
  const token = tokenOf(a);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`http://${a.server}${path}`, { method, headers, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CtlError(`cannot reach the admin endpoint at ${a.server}: ${cause} (is \`admin ${a.server}\` in the Corefile?)`);
  }
  const body = await res.text();
  if (res.ok || accept.includes(res.status)) return body;
  let why = body.trim();
  try { why = (JSON.parse(body) as { error?: string }).error ?? why; } catch { /* a text body */ }
  if (res.status === 401 || res.status === 403) throw new CtlError(`the admin endpoint refused ${method} ${path} (${res.status}): ${why}; give the token with -token, -token-file or DNSMESH_ADMIN_TOKEN`);
  if (res.status === 404) throw new CtlError(`the admin endpoint at ${a.server} has no ${path} (an older dnsmesh, or not an admin address)`);
  throw new CtlError(`${method} ${path}: ${res.status} ${why}`);
}

interface Status {
  version: string; node: string; pid: number; uptime: number;
  config: { file: string; hash: string }; reloads: number; failedReloads: number; shuttingDown: boolean;
  blocks: { zones: string[]; port: number; bind: string[]; plugins: string[]; notReady: string[] }[];
}

function formatStatus(s: Status): string {
  const lines = [
    `version: dnsmesh-${s.version} (node ${s.node})`,
    `pid: ${s.pid}`,
    `uptime: ${s.uptime} seconds${s.shuttingDown ? ' (shutting down)' : ''}`,
    `config: ${s.config.file} sha512:${s.config.hash.slice(0, 16)}`,
    `reloads: ${s.reloads} (${s.failedReloads} failed)`,
  ];
  for (const b of s.blocks) {
    const where = b.bind.length > 0 ? b.bind.join(',') : 'every interface';
    const ready = b.notReady.length === 0 ? 'ready' : `not ready: ${b.notReady.join(',')}`;
    lines.push(`block ${b.zones.join(' ')}:${b.port} on ${where} [${ready}]: ${b.plugins.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The dump as a table: NAME TYPE RCODE TTL HITS UPSTREAM, stale entries marked. */
function formatDump(body: string): string {
  const rows = body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as {
    name: string; type: string; rcode: string; ttl: number; stale: boolean; hits: number; upstream: string | null;
  });
  const table = [['NAME', 'TYPE', 'RCODE', 'TTL', 'HITS', 'UPSTREAM'],
    ...rows.map((r) => [r.name === '' ? '.' : r.name, r.type, r.rcode, r.stale ? `${r.ttl} (stale)` : String(r.ttl), String(r.hits), r.upstream ?? '-'])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return `${table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}\n`;
}
