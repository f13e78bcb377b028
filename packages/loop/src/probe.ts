import { encodePacket, UpstreamClient, type UpstreamAddress } from '@dnsmesh/core';
import type { ServerBlock } from '@dnsmesh/core';
import type { LoopPlugin } from './handler.js';
import type { ProbeTiming } from './options.js';

/**
 * Sends the probe to the server's own address until a reply comes back or `deadline` passes (the
 * server may not listen yet on the first tries), then lets `loop` watch `linger` longer and turns
 * it off. Returns what cancels it (the block stops).
 */
export function startProbe(plugin: LoopPlugin, to: UpstreamAddress, timing: ProbeTiming, logger: ServerBlock['logger']): () => void {
  const client = new UpstreamClient();
  const query = encodePacket({ id: 0, type: 'query', flags: 0x0100, questions: [{ name: plugin.qname.slice(0, -1), type: 'HINFO', class: 'IN' }] });
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const later = (fn: () => void, ms: number): void => {
    if (stopped) return;
    timer = setTimeout(fn, ms);
    timer.unref();
  };
  const done = (): void => { plugin.active = false; client.close(); };
  const attempt = (): void => {
    if (stopped) return;
    if (Date.now() - started >= timing.deadline) { done(); return; }
    client.exchange(query, to, { timeout: timing.interval }).then(
      () => later(done, timing.linger),
      (err: Error) => {
        logger.debug({ err: err.message }, 'loop: probe not answered yet');
        later(attempt, Math.max(0, timing.interval - (Date.now() - started) % timing.interval));
      },
    );
  };
  later(attempt, 50);
  return () => { stopped = true; if (timer !== undefined) clearTimeout(timer); done(); };
}
