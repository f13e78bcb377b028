import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CorefileError, definePlugin, PluginRegistry, type Directive, type PluginDefinition, type ServerBlockConfig, type Token,
} from '@dnsmesh/core';

/** A directive NAME that no built-in knows is looked for as the npm package `dnsmesh-plugin-NAME`. */
export const PACKAGE_PREFIX = 'dnsmesh-plugin-';

/** The server package's own directory (apps/server, or node_modules/@dnsmesh/server once installed). */
export const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

const DIRECTIVE = /^[a-z][a-z0-9_-]*$/;
const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** An installed package, found the way Node finds one. */
export interface FoundPackage {
  readonly name: string;
  readonly version: string;
  /** Where it is installed (the folder holding its package.json). */
  readonly dir: string;
}

/** A plugin loaded from a package. */
export interface LoadedPlugin extends FoundPackage {
  readonly def: PluginDefinition<any>;
  /** `name@version`, as messages and `-plugins` show it. */
  readonly origin: string;
}

export interface PluginLoaderOptions {
  /** The Corefile (-conf): packages are looked for from its directory first. */
  readonly conf?: string;
  /** Then from here; default the server's own directory. */
  readonly serverDir?: string;
}

/**
 * `plugin DIRECTIVE PACKAGE`: the line that loads a directive from a package whose name is not
 * `dnsmesh-plugin-DIRECTIVE` (a scoped one, say). It goes at the top of a server block and takes
 * no place in the chain: the loader reads these lines before the blocks are built.
 */
export const pluginDirective = definePlugin<{ directive: string; pkg: string }>({
  name: 'plugin',
  core: '^0.1.0',
  parse(d) {
    const [directive, pkg] = d.expectArgs(2, 2) as [Token, Token];
    if (d.hasBlock) throw d.fail('takes no block');
    if (!DIRECTIVE.test(directive.text)) throw directive.fail(`expected a directive name (lower case letters, digits, _ and -), got '${directive.text}'`);
    if (!NPM_NAME.test(pkg.text)) throw pkg.fail(`expected an npm package name (like @acme/dnsmesh-plugin-${directive.text}), got '${pkg.text}'`);
    return { directive: directive.text, pkg: pkg.text };
  },
  create: () => undefined,
});

class PluginLoadError extends Error {}

/**
 * Brings third-party plugins into one load of a Corefile. It works on a copy of the server's
 * registry (a reload starts again from the built-ins), handles `plugin` lines, and resolves a
 * directive no built-in knows as the package `dnsmesh-plugin-NAME`, found from the Corefile's
 * directory first, then from the server's own: imported, checked (a definition, the right
 * directive, a `core` range that holds this @dnsmesh/core) and registered at its declared place.
 */
export class PluginLoader {
  readonly registry: PluginRegistry;
  readonly corefileDir: string;
  readonly serverDir: string;
  /** Directive -> the package it was loaded from. */
  readonly loaded = new Map<string, LoadedPlugin>();
  readonly #lines = new Map<string, string>();
  /** Packages being loaded right now: two plugins placed relative to each other load once each. */
  readonly #loading = new Set<string>();

  constructor(base: PluginRegistry, opts: PluginLoaderOptions = {}) {
    this.registry = forkRegistry(base);
    this.corefileDir = dirname(resolve(opts.conf ?? 'Corefile'));
    this.serverDir = opts.serverDir ?? SERVER_DIR;
  }

  /** Loads what the `plugin` lines name; each must come before the other directives of its block. */
  async applyPluginLines(configs: readonly ServerBlockConfig[]): Promise<void> {
    for (const config of configs) {
      let top = true;
      for (const d of config.directives) {
        if (d.name.text !== pluginDirective.name) { top = false; continue; }
        if (!top) throw d.fail(`goes at the top of its server block, before the directives it loads`);
        const { directive, pkg } = pluginDirective.parse(d, undefined as never);
        const before = this.#lines.get(directive);
        if (before === pkg) continue;
        if (before !== undefined) throw d.fail(`'${directive}' is already loaded from ${before}`);
        if (this.registry.has(directive) && !this.loaded.has(directive)) throw d.fail(`'${directive}' is a built-in directive; a package cannot replace it`);
        const found = this.find(pkg);
        if (found === undefined) throw d.fail(`no package ${pkg} found from ${this.corefileDir}`);
        try {
          await this.load(found, directive);
        } catch (err) {
          throw d.fail((err as Error).message);
        }
        this.#lines.set(directive, pkg);
      }
    }
  }

  /** For `loadBlocks`: a directive no registered plugin knows. Throws the Corefile error when none is found. */
  readonly resolveUnknown = async (d: Directive): Promise<PluginDefinition<any>> => {
    const name = d.name.text;
    if (!DIRECTIVE.test(name)) throw d.name.fail(`unknown directive '${name}'`);
    const pkg = PACKAGE_PREFIX + name;
    const found = this.find(pkg);
    if (found === undefined) {
      throw d.name.fail(`unknown directive '${name}' (no built-in plugin, and no package ${pkg} found from ${this.corefileDir})`);
    }
    try {
      return (await this.load(found, name)).def;
    } catch (err) {
      if (err instanceof CorefileError) throw err;
      throw d.name.fail((err as Error).message);
    }
  };

  /** An installed package, from the Corefile's directory first, then from the server's. */
  find(pkg: string): FoundPackage | undefined {
    return findPackage(pkg, this.corefileDir) ?? findPackage(pkg, this.serverDir);
  }

  /**
   * Imports a plugin package and registers its default export. `directive`, when given, is the
   * directive it must define. A plugin placed before or after another package's directive brings
   * that package in too (`dnsmesh-plugin-ANCHOR`), so the Corefile's line order does not matter.
   */
  async load(found: FoundPackage, directive?: string): Promise<LoadedPlugin> {
    const origin = `${found.name}@${found.version}`;
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(entryOf(found)).href)) as { default?: unknown };
    } catch (err) {
      throw new PluginLoadError(`cannot load ${origin} (${found.dir}): ${(err as Error).message}`);
    }
    let def: PluginDefinition<any>;
    try {
      def = definePlugin(mod.default as PluginDefinition<any>);
    } catch (err) {
      throw new PluginLoadError(`${origin} does not default-export a plugin definition (definePlugin({ name, order, core, parse, create })): ${(err as Error).message}`);
    }
    if (directive !== undefined && def.name !== directive) throw new PluginLoadError(`${origin} defines the directive '${def.name}', not '${directive}'`);
    const already = this.loaded.get(def.name);
    if (already !== undefined && already.def === def) return already;
    if (def.core === undefined) {
      throw new PluginLoadError(`${origin} does not say which @dnsmesh/core it works with: its definition needs core (like core: '^${this.registry.coreVersion}')`);
    }
    if (def.order !== undefined) {
      const anchor = 'before' in def.order ? def.order.before : def.order.after;
      const other = this.registry.order.includes(anchor) || !DIRECTIVE.test(anchor) ? undefined : this.find(PACKAGE_PREFIX + anchor);
      if (other !== undefined && !this.#loading.has(other.name)) {
        this.#loading.add(found.name);
        try {
          await this.load(other, anchor);
        } finally {
          this.#loading.delete(found.name);
        }
      }
    }
    this.registry.register(def, origin);
    const loaded = { ...found, def, origin };
    this.loaded.set(def.name, loaded);
    return loaded;
  }

  /**
   * Packages named `dnsmesh-plugin-*` or `@SCOPE/dnsmesh-plugin-*` installed where `find` looks
   * (node_modules next to the Corefile and its parents, then next to the server), first place wins.
   */
  discover(): FoundPackage[] {
    const out = new Map<string, FoundPackage>();
    for (const from of [this.corefileDir, this.serverDir]) {
      for (const folder of lookupFolders(from)) {
        for (const name of pluginNamesIn(folder)) {
          if (out.has(name)) continue;
          const found = findPackage(name, from);
          if (found !== undefined) out.set(name, found);
        }
      }
    }
    return [...out.values()];
  }
}

/** `dnsmesh -plugins`: built-ins and discovered packages in chain order, with versions and places. */
export async function describePlugins(base: PluginRegistry, builtins: ReadonlyMap<string, string>, opts: PluginLoaderOptions = {}): Promise<string> {
  const loader = new PluginLoader(base, opts);
  const failed: string[] = [];
  for (const found of loader.discover()) {
    if ([...loader.loaded.values()].some((l) => l.name === found.name)) continue;
    try {
      const unscoped = found.name.startsWith(PACKAGE_PREFIX) ? found.name.slice(PACKAGE_PREFIX.length) : undefined;
      await loader.load(found, unscoped);
    } catch (err) {
      failed.push(`  ${found.name}@${found.version} (${found.dir}): ${(err as Error).message}`);
    }
  }
  const lines = ['Server directives and plugins, in chain order:'];
  for (const p of loader.registry.list()) {
    const pkg = loader.loaded.get(p.name);
    if (pkg === undefined) {
      lines.push(`  ${p.name.padEnd(12)} ${(builtins.get(p.name) ?? '').padEnd(36)} ${p.origin}`);
    } else {
      const order = pkg.def.order!;
      const place = 'before' in order ? `before ${order.before}` : `after ${order.after}`;
      lines.push(`  ${p.name.padEnd(12)} ${pkg.origin.padEnd(36)} ${place}, from ${pkg.dir}`);
    }
  }
  if (failed.length > 0) lines.push('Plugin packages found but not loaded:', ...failed);
  return `${lines.join('\n')}\n`;
}

/** A copy of the registry: same order, same plugins, same origins. */
function forkRegistry(base: PluginRegistry): PluginRegistry {
  const copy = new PluginRegistry(base.order, base.coreVersion);
  for (const p of base.list()) copy.register(base.get(p.name)!, p.origin);
  return copy;
}

/** The node_modules folders Node searches from `dir` (its own, its parents', the global ones). */
function lookupFolders(dir: string): string[] {
  return createRequire(join(dir, 'noop.js')).resolve.paths('x') ?? [];
}

/** Finds `name` from `dir` as Node would, reading its package.json. */
export function findPackage(name: string, dir: string): FoundPackage | undefined {
  for (const folder of lookupFolders(dir)) {
    const pkgDir = join(folder, name);
    const file = join(pkgDir, 'package.json');
    if (!existsSync(file)) continue;
    let meta: { name?: string; version?: string };
    try {
      meta = JSON.parse(readFileSync(file, 'utf8')) as typeof meta;
    } catch {
      continue;
    }
    return { name, version: meta.version ?? '0.0.0', dir: pkgDir };
  }
  return undefined;
}

/**
 * The file `import(name)` would load: the package's `exports` read with the conditions of an
 * import (node, import, default), else what `require.resolve` finds (`main`, index.js).
 */
function entryOf(found: FoundPackage): string {
  const meta = JSON.parse(readFileSync(join(found.dir, 'package.json'), 'utf8')) as { exports?: unknown };
  if (meta.exports === undefined) return createRequire(join(found.dir, 'noop.js')).resolve(found.dir);
  const exp = meta.exports;
  const root = exp !== null && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'))
    ? (exp as Record<string, unknown>)['.'] : exp;
  const target = exportTarget(root);
  if (target === undefined) throw new PluginLoadError(`${found.name}@${found.version}: its package.json exports nothing for import`);
  return join(found.dir, target);
}

const CONDITIONS = new Set(['node', 'import', 'default']);

function exportTarget(e: unknown): string | undefined {
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) {
    for (const x of e) {
      const t = exportTarget(x);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (e !== null && typeof e === 'object') {
    for (const [k, v] of Object.entries(e)) {
      if (!CONDITIONS.has(k)) continue;
      const t = exportTarget(v);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

function pluginNamesIn(folder: string): string[] {
  const names: string[] = [];
  for (const entry of safeList(folder)) {
    if (entry.startsWith(PACKAGE_PREFIX)) names.push(entry);
    else if (entry.startsWith('@')) {
      for (const inner of safeList(join(folder, entry))) if (inner.startsWith(PACKAGE_PREFIX)) names.push(`${entry}/${inner}`);
    }
  }
  return names.sort();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
