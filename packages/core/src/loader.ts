import 'reflect-metadata';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { container as rootContainer } from 'tsyringe';
import { ServerBlock, type ServiceToken } from './block.js';
import { CorefileError, type Directive, type Property, type Scheme, type ServerBlockConfig } from './corefile/index.js';
import type { Plugin, PluginDefinition } from './plugin.js';
import type { PluginRegistry } from './registry.js';
import type { Clock } from './units.js';

export interface LoadOptions {
  readonly registry: PluginRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Port for keys without one (-dns.port). */
  readonly defaultPort: number;
  /** Asked for a directive no registered plugin knows (e.g. load `dnsmesh-plugin-NAME`); may register it. */
  readonly resolveUnknown?: (directive: Directive) => Promise<PluginDefinition<any> | undefined>;
  /** The blocks of the running configuration, on a reload: a new block sees its match as `previous`. */
  readonly previous?: readonly ServerBlock[];
  /** Services every block gets before its plugins are built (e.g. the binary's ServerControl). */
  readonly services?: readonly (readonly [ServiceToken<any>, unknown])[];
}

/**
 * Turns parsed server blocks into ServerBlocks with their chains: every directive known,
 * options parsed (FILE:LINE errors), plugins created in reverse chain order so a plugin can
 * reach the services of those after it (a plugin feels those after it, relies on none before it).
 */
export async function loadBlocks(configs: readonly ServerBlockConfig[], opts: LoadOptions): Promise<ServerBlock[]> {
  const out: ServerBlock[] = [];
  for (const config of configs) {
    // One ServerBlock per port (and scheme) among the keys: `a.:53 b.:53` is one block with two zones.
    const byPort = new Map<string, { port: number; scheme: Scheme; zones: string[] }>();
    for (const key of config.keys) {
      const port = key.port ?? opts.defaultPort;
      const id = `${key.scheme} ${port}`;
      const group = byPort.get(id) ?? { port, scheme: key.scheme, zones: [] };
      group.zones.push(key.zone);
      byPort.set(id, group);
    }
    for (const { port, scheme, zones } of byPort.values()) {
      const block = new ServerBlock({
        zones, port, scheme, container: rootContainer.createChildContainer(), clock: opts.clock,
        logger: opts.logger, metrics: opts.metrics, origin: `${config.file}:${config.line}`,
      });
      block.previous = opts.previous?.find((b) => b.identity === block.identity);
      for (const [token, value] of opts.services ?? []) block.provide(token, value);
      await buildBlock(block, config.directives, opts);
      if (scheme !== 'dns' && block.tls === undefined) {
        throw new CorefileError(`${scheme}:// needs a certificate: add 'tls CERT KEY' to the block`, config.file, config.line);
      }
      if (scheme === 'dns' && block.tls !== undefined) {
        throw new CorefileError(`tls is set but the block is served over dns://: write its key as tls://ZONE or https://ZONE`, config.file, config.line);
      }
      out.push(block);
    }
  }
  checkDuplicates(out, configs);
  return out;
}

async function buildBlock(block: ServerBlock, directives: readonly Directive[], opts: LoadOptions): Promise<void> {
  const { registry } = opts;
  const parsed: { directive: Directive; def: PluginDefinition<any>; options: unknown; seq: number }[] = [];
  const work = [...directives];
  block.handOff = (name: string, property: Property) => { work.push(propertyAsDirective(name, property, block.zones)); };
  const first = new Map<string, Directive>();
  for (let i = 0; i < work.length; i++) {
    const directive = work[i]!;
    const name = directive.name.text;
    let def = registry.get(name);
    if (def === undefined && opts.resolveUnknown !== undefined) def = await opts.resolveUnknown(directive);
    if (def === undefined) throw directive.name.fail(`unknown directive '${name}'`);
    if (i >= directives.length && parsed.some((p) => p.def.name === def!.name)) {
      throw directive.name.fail(`${name} is configured twice (inside cache and on its own)`);
    }
    const earlier = first.get(def.name);
    if (earlier !== undefined && def.repeatable !== true && i < directives.length) {
      throw directive.name.fail(`this plugin can only be used once per server block (first at ${earlier.file}:${earlier.line})`);
    }
    if (earlier === undefined) first.set(def.name, directive);
    parsed.push({ directive, def, options: def.parse(directive, block), seq: i });
  }
  block.handOff = undefined;
  for (const p of parsed) {
    for (const need of p.def.needs ?? []) {
      if (!parsed.some((q) => q.def.name === need)) {
        throw p.directive.fail(`needs the ${need} plugin in this server block`);
      }
    }
  }
  // Create in reverse chain order; repeats of one directive keep their Corefile order.
  parsed.sort((a, b) => registry.rank(a.def.name) - registry.rank(b.def.name) || a.seq - b.seq);
  block.enabled = [...new Set(parsed.map((p) => p.def.name))];
  const plugins: Plugin[] = [];
  for (let i = parsed.length - 1; i >= 0; i--) {
    const p = parsed[i]!;
    try {
      const plugin = p.def.create(p.options, block);
      if (plugin !== undefined) plugins.unshift(plugin);
    } catch (err) {
      if (err instanceof CorefileError) throw err;
      throw p.directive.fail((err as Error).message);
    }
  }
  block.setPlugins(plugins);
}

/** `cache { prefetch 2 }` is the `prefetch 2` directive: the property becomes a directive of its own. */
function propertyAsDirective(name: string, property: Property, zones: readonly string[]): Directive {
  return {
    name: property.name,
    args: property.args,
    block: [],
    hasBlock: false,
    file: property.name.file,
    line: property.name.line,
    serverZones: [...zones],
    expectArgs: (min: number, max?: number) => property.expectArgs(min, max),
    fail: (message: string) => property.name.fail(message),
  } as Directive;
}

function checkDuplicates(blocks: ServerBlock[], configs: readonly ServerBlockConfig[]): void {
  const seen = new Map<string, ServerBlock>();
  const schemes = new Map<number, ServerBlock>();
  for (const block of blocks) {
    // One port speaks one protocol: a plain DNS listener and a TLS one cannot share it.
    const other = schemes.get(block.port);
    if (other !== undefined && other.scheme !== block.scheme && block.port !== 0) {
      const file = configs[0]?.file ?? 'Corefile';
      throw new CorefileError(`port ${block.port} is served as ${other.scheme}:// (${other.origin}) and as ${block.scheme}:// (${block.origin}): one port, one protocol`, file, Number(block.origin.split(':').pop()) || 0);
    }
    schemes.set(block.port, block);
    for (const zone of block.zones) {
      const key = `${zone}:${block.port}`;
      const other = seen.get(key);
      if (other !== undefined) {
        const file = configs[0]?.file ?? 'Corefile';
        throw new CorefileError(`zone ${zone} on port ${block.port} is defined twice (${other.origin} and ${block.origin})`, file, Number(block.origin.split(':').pop()) || 0);
      }
      seen.set(key, block);
    }
  }
}
