// Blocking queries (notes §3): hold until the watched index passes ?index, or until ?wait runs out.
import { parseGoDuration } from '../duration.js';
import type { HttpContext } from './context.js';
import { text, type Reply } from './reply.js';

const DEFAULT_WAIT = 5 * 60_000;
const MAX_WAIT = 10 * 60_000;

export interface Blocking { readonly index: number; readonly waitMs: number }

/** ?index and ?wait, or the 400 Consul gives for them. */
export function parseBlocking(url: URL): Blocking | Reply {
  const rawWait = url.searchParams.get('wait');
  let waitMs = DEFAULT_WAIT;
  if (rawWait !== null && rawWait !== '') {
    const ms = parseGoDuration(rawWait);
    if (ms === undefined) return text(400, 'Invalid wait time');
    waitMs = ms <= 0 ? DEFAULT_WAIT : Math.min(ms, MAX_WAIT);
  }
  const rawIndex = url.searchParams.get('index');
  let index = 0;
  if (rawIndex !== null && rawIndex !== '') {
    if (!/^\d+$/.test(rawIndex)) return text(400, 'Invalid index');
    index = Number(rawIndex);
  }
  return { index, waitMs };
}

/**
 * Resolves at once for index 0 or an index already passed; otherwise on the first write that moves
 * current() past it, on an index reset (which wakes everyone), on the client leaving, on close, or
 * after wait + random(0..wait/16), scaled by timeScale. A timeout answers with the unchanged index.
 */
export function block(ctx: HttpContext, b: Blocking, current: () => number): Promise<void> {
  if (b.index === 0 || current() > b.index) return Promise.resolve();
  const timeout = (b.waitMs + Math.random() * (b.waitMs / 16)) * ctx.cfg.timeScale;
  return new Promise((resolve) => {
    ctx.counters.blocking_waiters++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      ctx.counters.blocking_waiters--;
      unwatch();
      ctx.timers.clear(timer);
      ctx.res.off('close', finish);
      resolve();
    };
    const unwatch = ctx.catalog.watch((reason) => { if (reason !== 'write' || current() > b.index) finish(); });
    const timer = ctx.timers.after(timeout, finish);
    ctx.res.on('close', finish);
  });
}
