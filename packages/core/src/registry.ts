import type { PluginDefinition } from './plugin.js';
import { satisfies, validRange } from './semver.js';
import { CORE_VERSION } from './version.js';

/**
 * Directives known to a server and the chain order they take (CoreDNS's plugin.cfg).
 * The built-in order is a fixed list; a third-party plugin declares `before` or `after` a
 * directive of the list (or of another plugin) and is placed there.
 */
export class PluginRegistry {
  readonly #defs = new Map<string, PluginDefinition<any>>();
  readonly #order: string[];
  readonly #origin = new Map<string, string>();

  /**
   * `order` lists directives in chain order, first to last. Directives of the list that configure
   * the server may appear anywhere. `coreVersion` is what plugins' `core` ranges are checked
   * against (this @dnsmesh/core's version; tests may pretend another).
   */
  constructor(order: readonly string[], readonly coreVersion: string = CORE_VERSION) {
    this.#order = [...order];
  }

  /**
   * Adds a plugin: checks its `core` range against this @dnsmesh/core and places it in the order.
   * `origin` says where it came from in messages and listings ('built-in', 'dnsmesh-plugin-x@1.2.0').
   */
  register(def: PluginDefinition<any>, origin = 'built-in'): void {
    if (this.#defs.has(def.name)) throw new Error(`plugin '${def.name}' is registered twice (${this.#origin.get(def.name)} and ${origin})`);
    if (def.core !== undefined) {
      if (typeof def.core !== 'string' || !validRange(def.core)) {
        throw new Error(`plugin '${def.name}' (${origin}) declares core ${JSON.stringify(def.core)}, which is not a semver range (like '^${this.coreVersion}')`);
      }
      if (!satisfies(this.coreVersion, def.core)) {
        throw new Error(`plugin '${def.name}' (${origin}) works with @dnsmesh/core ${def.core}, but this server has @dnsmesh/core ${this.coreVersion}`);
      }
    }
    if (!this.#order.includes(def.name)) {
      if (def.order === undefined) throw new Error(`plugin '${def.name}' (${origin}) is not in the built-in order: it must declare order { before | after }`);
      const anchor = 'before' in def.order ? def.order.before : def.order.after;
      const at = this.#order.indexOf(anchor);
      if (at < 0) throw new Error(`plugin '${def.name}' (${origin}) wants to go ${'before' in def.order ? 'before' : 'after'} '${anchor}', which is not a known directive`);
      this.#order.splice('before' in def.order ? at : at + 1, 0, def.name);
    }
    this.#defs.set(def.name, def);
    this.#origin.set(def.name, origin);
  }

  get(name: string): PluginDefinition<any> | undefined {
    return this.#defs.get(name);
  }

  has(name: string): boolean {
    return this.#defs.has(name);
  }

  /** Position in the chain; lower runs first. */
  rank(name: string): number {
    return this.#order.indexOf(name);
  }

  /** Every registered directive in chain order, with where it came from. */
  list(): { name: string; origin: string; rank: number }[] {
    return this.#order
      .filter((name) => this.#defs.has(name))
      .map((name) => ({ name, origin: this.#origin.get(name)!, rank: this.#order.indexOf(name) }));
  }

  get order(): readonly string[] {
    return this.#order;
  }
}
