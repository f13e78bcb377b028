import { definePlugin, SERVER_CONTROL, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { LoopPlugin } from './handler.js';
import { TIMING, type LoopOptions, type ProbeTiming } from './options.js';
import { probeName } from './probe-name.js';
import { startProbe } from './probe.js';
import { parse } from './setup.js';

export { LoopPlugin, HINFO } from './handler.js';
export { TIMING, MAX_SEEN, type LoopOptions, type ProbeTiming } from './options.js';
export { probeName } from './probe-name.js';
export { parse } from './setup.js';

/** What code composition may set besides the zone: the timing, and what happens on a loop. */
export interface LoopInput {
  readonly zone?: string;
  readonly timing?: Partial<ProbeTiming>;
  /** Default: the server's `exit(1, message)` where the dnsmesh binary runs it, else log and `process.exit(1)`. */
  readonly onLoop?: (message: string) => void;
}

/** The address the block listens on, as a client reaches it (a wildcard bind means loopback). */
function ownAddress(block: ServerBlock): { host: string; port: number } {
  const bind = block.bind[0];
  const host = bind === undefined || bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
  return { host, port: block.port };
}

/** Builds loop in a server block; its probe starts with the block. */
export function createLoop(options: LoopOptions, block: ServerBlock, input: LoopInput = {}): Plugin {
  const onLoop = input.onLoop ?? ((message: string) => {
    const control = block.find(SERVER_CONTROL);
    if (control !== undefined) { control.exit(1, message); return; }
    block.logger.fatal(message);
    process.exit(1);
  });
  const to = ownAddress(block);
  const plugin = new LoopPlugin(probeName(options.zone), onLoop, `${to.host}:${to.port}`);
  const timing = { ...TIMING, ...input.timing };
  let cancel: (() => void) | undefined;
  block.onStart(() => {
    if (to.port === 0) {
      block.logger.warn('loop: the server block has no fixed port; no loop probe is sent');
      plugin.active = false;
      return;
    }
    cancel = startProbe(plugin, to, timing, block.logger);
  });
  block.onStop(() => cancel?.());
  return plugin;
}

/** loop for code composition (the block needs a fixed port): place it before cache. */
export function loop(input: LoopInput = {}): (block: ServerBlock) => Plugin {
  return function loop(block: ServerBlock): Plugin {
    return createLoop({ zone: input.zone ?? block.zones[0] ?? '.' }, block, input);
  };
}

export default definePlugin<LoopOptions>({
  name: 'loop',
  core: '^0.1.0',
  parse,
  create: (options, block) => createLoop(options, block),
});
