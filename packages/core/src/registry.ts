import type { PluginDefinition } from './plugin.js';

/**
 * Directives known to a server and the chain order they take (CoreDNS's plugin.cfg).
 * The built-in order is a fixed list; a third-party plugin declares `before` or `after` a
 * directive of the list (or of another plugin) and is placed there.
 */
export class PluginRegistry {
  readonly #defs = new Map<string, PluginDefinition<any>>();
  readonly #order: string[];
  readonly #origin = new Map<string, string>();

  /** `order` lists directives in chain order, first to last. Directives of the list that configure the server may appear anywhere. */
  constructor(order: readonly string[]) {
    this.#order = [...order];
  }

  register(def: PluginDefinition<any>, origin = 'built-in'): void {
    if (this.#defs.has(def.name)) throw new Error(`plugin '${def.name}' is registered twice (${this.#origin.get(def.name)} and ${origin})`);
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
