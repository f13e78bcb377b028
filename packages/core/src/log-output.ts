import pino, { type DestinationStream, type LoggerOptions } from 'pino';

/** How log lines look: pino's JSON (the default), or one line of text per entry for a terminal. */
export type LogFormat = 'json' | 'text';

let format: LogFormat = 'json';
let output: (DestinationStream & { flushSync?: () => void }) | undefined;
let raw: (DestinationStream & { flushSync?: () => void }) | undefined;

/**
 * Sets the process's log format; call before any logger is made (the `dnsmesh` binary does it from
 * `-log.format`). Server messages and the query log share one stream and one format.
 */
export function setLogFormat(f: LogFormat): void {
  format = f;
  output = undefined;
}

/**
 * The most log bytes held for stdout while it is slower than the lines come (a pipe whose reader
 * lags): beyond it new lines are dropped and counted, so a slow reader costs a bounded buffer.
 */
export const LOG_BUFFER_MAX = 16 * 1024 * 1024;

/** Log lines dropped, by why: stdout too slow (`slow`) or gone (`closed`). */
export const logDrops = { slow: 0, closed: 0 };

/** stdout failed (EPIPE: the reader of the pipe exited): lines are dropped from then on. */
let closed = false;

/**
 * The one stream every log line of the process goes to: stdout, asynchronous (flushed on exit), as
 * CoreDNS writes everything to stdout. Server messages and the query log alike.
 *
 * When stdout goes away (EPIPE), the server keeps serving and drops its log lines (counted in
 * `logDrops.closed`), as Unbound does when its log cannot be written; it says so once on stderr.
 * CoreDNS, killed by SIGPIPE, stops answering. A DNS server that stops over its log is an outage.
 */
export function logDestination(): DestinationStream {
  if (output === undefined) {
    if (raw === undefined) {
      const boom = pino.destination({ fd: 1, sync: false, maxLength: LOG_BUFFER_MAX });
      boom.on('drop', () => { logDrops.slow++; });
      boom.on('error', (err: Error) => stdoutLost(err));
      guardStdout();
      raw = boom;
    }
    const guarded: DestinationStream = { write: (line: string) => { if (closed) logDrops.closed++; else raw!.write(line); } };
    output = format === 'text' ? textDestination(guarded) : guarded;
  }
  return output;
}

/**
 * Writes plain text (the lines the binary prints when it is ready) into the log stream, after every
 * log line before it: written straight to stdout, it could overtake log lines still buffered, and a
 * reader waiting for the ready line would not see them yet.
 */
export function writeOutput(text: string): void {
  if (raw === undefined) process.stdout.write(text);
  else if (closed) logDrops.closed++;
  else raw.write(text);
}

/** Writes out what is buffered (before process.exit). */
export function flushLogs(): void {
  if (closed) return;
  try { raw?.flushSync?.(); } catch { /* stdout closed: nothing to save */ }
}

/**
 * process.stdout fails the same way (the lines the binary prints when it is ready): without a
 * listener its EPIPE would be thrown and end the process.
 */
function guardStdout(): void {
  process.stdout.on('error', stdoutLost);
  process.stderr.on('error', () => { /* nowhere left to say it */ });
}

function stdoutLost(err: Error): void {
  if (closed) return;
  closed = true;
  process.stderr.write(`dnsmesh: stdout failed (${(err as NodeJS.ErrnoException).code ?? err.message}): log lines are dropped from now on (dnsmesh_log_dropped_total{reason="closed"}); still serving\n`);
}

/** pino options every dnsmesh logger shares: ISO times, level names, no pid or hostname. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * A destination that turns pino's JSON lines into text: `TIME [LEVEL] message key=value ...`, and a
 * query line as `TIME [INFO] CLIENT:PORT - "TYPE NAME PROTO" RCODE DURATIONms cache=... upstream=...`
 * (the shape of CoreDNS's common log format).
 */
export function textDestination(next: DestinationStream): DestinationStream {
  return { write: (line: string) => { next.write(textLine(line)); } };
}

export function textLine(json: string): string {
  let o: Record<string, unknown>;
  try { o = JSON.parse(json) as Record<string, unknown>; } catch { return json; }
  const { time, level, msg, ...rest } = o;
  const head = `${String(time ?? '')} [${String(level ?? 'info').toUpperCase()}]`;
  if (msg === undefined && 'rcode' in rest && 'duration_ms' in rest) {
    const { name, type, client, port, proto, rcode, duration_ms: ms, ...more } = rest;
    const shown = name === '' ? '.' : `${String(name)}.`;
    return `${head} ${String(client)}:${String(port)} - "${String(type)} ${shown} ${String(proto)}" ${String(rcode)} ${String(ms)}ms${fields(more)}\n`;
  }
  return `${head} ${String(msg ?? '')}${fields(rest)}\n`;
}

function fields(o: Record<string, unknown>): string {
  let s = '';
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    s += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return s;
}
