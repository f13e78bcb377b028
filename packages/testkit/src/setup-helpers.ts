import 'reflect-metadata';
import {
  definePlugin, loadBlocks, manualClock, parseCorefile, PluginRegistry, ServerBlock, type Directive, type PluginDefinition,
} from '@dnsmesh/core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { container } from 'tsyringe';

// For the setup tests of plugins: Corefile snippets in, directives and loaded blocks out.

/** The first directive of `body` placed in a `.:53 { }` block of a file called Corefile (line 2 is body's first). */
export function directiveOf(body: string): Directive {
  const [block] = parseCorefile(`.:53 {\n${body}\n}\n`, 'Corefile');
  return block!.directives[0]!;
}

/** An empty server block for `.` on port 53, with a manual clock and silent logger. */
export function testBlock(): ServerBlock {
  return new ServerBlock({
    zones: ['.'], port: 53, container: container.createChildContainer(), clock: manualClock(),
    logger: pino({ level: 'silent' }), metrics: new Registry(),
  });
}

/**
 * Loads a whole Corefile with the given plugins registered in `order`; every other directive of
 * the order is a stand-in that parses anything and takes no place (so README examples load).
 */
export function loadWith(text: string, plugins: readonly PluginDefinition<any>[], order: readonly string[]): Promise<ServerBlock[]> {
  const registry = new PluginRegistry(order);
  for (const def of plugins) registry.register(def);
  for (const name of order) {
    if (!registry.has(name)) registry.register(definePlugin({ name, parse: () => ({}), create: () => undefined }));
  }
  return loadBlocks(parseCorefile(text, 'Corefile'), {
    registry, clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53,
  });
}
