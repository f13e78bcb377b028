import { formatDuration, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { Logger } from 'pino';
import type { Consolidate, ErrorsOptions } from './setup.js';

/** One consolidate rule while it runs: how many matched in the current period. */
class Window {
  count = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly rule: Consolidate) {}
}

/**
 * Logs what the rest of the chain throws or rejects with, then passes the error on (the edge
 * answers SERVFAIL); and the failures a plugin answered itself and named in `ctx.failure`
 * (forward: no upstream answered, and why). As CoreDNS: `2 example.org. A: <message>`; errors that match a consolidate
 * REGEXP are counted and logged once per DURATION as `N errors like 'REGEXP' occurred in last D`.
 */
export class ErrorsPlugin implements Plugin {
  readonly name = 'errors';
  readonly #windows: Window[];

  constructor(readonly options: ErrorsOptions, readonly logger: Logger) {
    this.#windows = options.consolidate.map((c) => new Window(c));
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    let result: DnsMessage | Promise<DnsMessage>;
    try {
      result = next(ctx);
    } catch (err) {
      this.report(ctx, err);
      throw err;
    }
    if (result instanceof Promise) {
      // Observe on the side; the caller still gets the same promise, and its rejection.
      result.then(() => { const failure = ctx.failure; if (failure !== undefined) this.report(ctx, failure); }, (err: unknown) => this.report(ctx, err));
    } else {
      const failure = ctx.failure;
      if (failure !== undefined) this.report(ctx, failure);
    }
    return result;
  }

  /** Logs one error, or counts it in the first consolidate rule it matches. */
  report(ctx: QueryContext, err: unknown): void {
    const message = messageOf(err);
    for (const w of this.#windows) {
      if (!w.rule.pattern.test(message)) continue;
      if (w.count++ === 0) {
        if (w.rule.showFirst) this.#log(w.rule.level, ctx, err, message);
        w.timer = setTimeout(() => this.#summary(w), w.rule.duration).unref();
      }
      return;
    }
    this.#log('error', ctx, err, message);
  }

  /** Logs what is pending and stops the timers (the block stopping). */
  stop(): void {
    for (const w of this.#windows) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      this.#summary(w);
    }
  }

  #summary(w: Window): void {
    const n = w.count;
    w.count = 0;
    w.timer = undefined;
    if (n === 0 || (w.rule.showFirst && n === 1)) return;
    this.logger[w.rule.level]({ plugin: 'errors', count: n, pattern: w.rule.pattern.source },
      `${n} errors like '${w.rule.pattern.source}' occurred in last ${formatDuration(w.rule.duration)}`);
  }

  #log(level: Consolidate['level'], ctx: QueryContext, err: unknown, message: string): void {
    const q = ctx.request.question;
    const name = q === undefined ? '.' : q.lname;
    const fields: Record<string, unknown> = { plugin: 'errors', name, type: ctx.request.qtypeName, client: ctx.client.address, error: message };
    if (this.options.stacktrace && err instanceof Error && err.stack !== undefined) fields.stack = err.stack;
    this.logger[level](fields, `2 ${name} ${ctx.request.qtypeName}: ${message}`);
  }
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
