import { execFile } from 'node:child_process';
import { isLoopback } from './server-address.js';

export interface DigOptions {
  /** Kill the tool after this many milliseconds (default 10 000). */
  timeout?: number;
}

interface Tool {
  path: string;
  /** Passed before the caller's arguments: one try, two seconds. */
  fixed: readonly string[];
  /** True when the tool failed only because no reply came (its stdout is still worth reading). */
  noReply(code: number, stderr: string): boolean;
}

const DIG: Tool = { path: '/usr/bin/dig', fixed: ['+tries=1', '+time=2'], noReply: (code) => code === 9 };
const KDIG: Tool = {
  path: '/usr/bin/kdig', fixed: ['+retry=0', '+time=2'],
  noReply: (code, stderr) => code === 1 && /failed to query server/.test(stderr),
};

/**
 * Runs the real `dig` with `+tries=1 +time=2` and returns its stdout, also when no server answered
 * (dig then exits 9). Refuses to run without an `@127.0.0.1`/`@::1` server or with a server elsewhere.
 *
 * @example
 * const out = await dig(['@127.0.0.1', '-p', String(server.port), 'web.service.consul', 'A']);
 */
export function dig(args: readonly string[], opts: DigOptions = {}): Promise<string> {
  return run(DIG, args, opts);
}

/** Runs the real `kdig` with `+retry=0 +time=2`, as `dig` does. */
export function kdig(args: readonly string[], opts: DigOptions = {}): Promise<string> {
  return run(KDIG, args, opts);
}

/** Throws unless every server argument is a loopback address and nothing would query further afield. */
export function checkDigArgs(args: readonly string[]): void {
  const servers = args.filter((a) => a.startsWith('@')).map((a) => a.slice(1).replace(/#\d+$/, ''));
  if (servers.length === 0) throw new RangeError('dig/kdig need an @127.0.0.1 or @::1 argument; tests never use the system resolver');
  const elsewhere = servers.find((s) => !isLoopback(s));
  if (elsewhere !== undefined) throw new RangeError(`dig/kdig server '${elsewhere}' is not a loopback address`);
  const wandering = args.find((a) => /^\+(no)?(tr|nss)/i.test(a) || a === '-f');
  if (wandering !== undefined) throw new RangeError(`dig/kdig option '${wandering}' may query servers other than the one given`);
}

async function run(tool: Tool, args: readonly string[], { timeout = 10_000 }: DigOptions): Promise<string> {
  checkDigArgs(args);
  const argv = [...tool.fixed, ...args];
  return new Promise((resolve, reject) => {
    execFile(tool.path, argv, { timeout, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err === null || (!err.killed && typeof err.code === 'number' && tool.noReply(err.code, stderr))) {
        resolve(stdout);
        return;
      }
      const why = err.killed ? `killed after ${timeout} ms` : `exit ${err.code}`;
      reject(new Error(`${tool.path} ${argv.join(' ')}: ${why}: ${stderr.trim() || err.message}`, { cause: err }));
    });
  });
}
