import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { compose, type Next } from './chain.js';
import type { Property } from './corefile/index.js';
import type { Plugin } from './plugin.js';
import type { TcpOptions } from './edge/tcp-options.js';
import type { TlsSettings } from './edge/tls-settings.js';
import type { Scheme } from './corefile/index.js';
import { systemTimers, type Clock, type Timers } from './units.js';
import { CLASS_IN } from './wire/constants.js';

/** A named service a plugin offers to others in its server block (e.g. the cache store). */
export type ServiceToken<T> = InjectionToken<T>;

export interface ServerBlockInit {
  readonly zones: readonly string[];
  readonly port: number;
  /** How clients reach the block (default dns: UDP and TCP). */
  readonly scheme?: Scheme;
  readonly container: DependencyContainer;
  readonly clock: Clock;
  /** How plugins wait (forward's timers); default Node's. */
  readonly timers?: Timers;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Where the block was written ("Corefile:3"), for messages. */
  readonly origin?: string;
}

/**
 * One server block: its zones and port, the addresses it binds, its services (a tsyringe child
 * container: what one block's plugins share stays in that block), and its chain.
 */
export class ServerBlock {
  readonly zones: readonly string[];
  readonly port: number;
  /** dns (UDP and TCP), tls (DNS over TLS) or https (DNS over HTTPS). */
  readonly scheme: Scheme;
  readonly container: DependencyContainer;
  readonly clock: Clock;
  /** How plugins wait: forward's retransmission timer and deadline (tests give `manualTimers()`). */
  readonly timers: Timers;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly origin: string;
  /** The listener's certificate for tls:// and https:// blocks (the `tls` directive). */
  tls: TlsSettings | undefined;
  /** Queries of this block inside its chain right now (a replaced block stops once they are done). */
  inflight = 0;
  /**
   * The block this one replaces on a reload (same zones and port), so plugins can carry state
   * over: the cache keeps its store. Undefined on a first start.
   */
  previous: ServerBlock | undefined;
  /** Addresses to listen on; empty means every interface. Set by `bind`. */
  bind: string[] = [];
  /** TCP limits set by the `tcp` directive (blocks sharing a port: the lowest of each wins). */
  tcp: Partial<TcpOptions> | undefined;
  /** The largest UDP reply sent, whatever size a client advertises. */
  maxUdpSize = 4096;
  plugins: Plugin[] = [];
  /**
   * Query classes other than IN that a plugin of this block answers (chaos adds CH); the edge
   * refuses a query of any other class before the chain sees it, so none is ever forwarded.
   */
  readonly classes = new Set<number>();
  /** Every directive configured in the block (chain plugins and server settings), in chain order. */
  enabled: string[] = [];
  chain: Next;
  /**
   * While directives are parsed: hands a property over to the plugin of that name, so
   * `cache { prefetch 2 }` configures the prefetch plugin. Undefined outside parsing.
   */
  handOff: ((directive: string, property: Property) => void) | undefined;
  readonly #starters: (() => Promise<void> | void)[] = [];
  readonly #stoppers: (() => Promise<void> | void)[] = [];
  readonly #shutdowns: (() => Promise<void> | void)[] = [];
  /**
   * True from the moment the server begins to stop (before it stops reading): health and ready
   * report it while the block still answers queries through a lameduck period.
   */
  shuttingDown = false;

  constructor(init: ServerBlockInit) {
    this.zones = init.zones;
    this.port = init.port;
    this.scheme = init.scheme ?? 'dns';
    this.container = init.container;
    this.clock = init.clock;
    this.timers = init.timers ?? systemTimers;
    this.logger = init.logger;
    this.metrics = init.metrics;
    this.origin = init.origin ?? 'code';
    this.chain = compose([]);
  }

  /** The label value for metrics, as CoreDNS writes it: "dns://:1053". */
  get serverLabel(): string {
    return `${this.scheme}://${this.bind[0] ?? ''}:${this.port}`;
  }

  /** Lets queries of `qclass` into this block's chain (see `classes`). */
  acceptClass(qclass: number): void {
    this.classes.add(qclass);
  }

  /** True when this block's chain takes queries of `qclass`: IN always, others when a plugin asked (bound: the edge passes it on). */
  readonly accepts = (qclass: number): boolean => qclass === CLASS_IN || this.classes.has(qclass);

  setPlugins(plugins: Plugin[]): void {
    this.plugins = plugins;
    this.chain = compose(plugins);
  }

  provide<T>(token: ServiceToken<T>, value: T): void {
    this.container.register(token, { useValue: value });
  }

  /** A service another plugin of this block registered; undefined when none did. */
  find<T>(token: ServiceToken<T>): T | undefined {
    return this.container.isRegistered(token, false) ? this.container.resolve(token) : undefined;
  }

  /** A service that must be there; the message names who needs it. */
  get<T>(token: ServiceToken<T>, neededBy: string): T {
    const found = this.find(token);
    if (found === undefined) {
      const what = typeof token === 'function' ? token.name : String(token);
      throw new Error(`${neededBy}: needs ${what} in this server block`);
    }
    return found;
  }

  /** Work to do before the server listens (open sockets, start watches). */
  onStart(fn: () => Promise<void> | void): void { this.#starters.push(fn); }
  onStop(fn: () => Promise<void> | void): void { this.#stoppers.push(fn); }
  /**
   * Work when the server is asked to stop, while it still serves (health's lameduck wait); the
   * server drains and closes its sockets only after every such hook is done. Not run on a reload.
   */
  onShutdown(fn: () => Promise<void> | void): void { this.#shutdowns.push(fn); }

  /** Marks the block as shutting down and runs its shutdown hooks; queries are still answered. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(this.#shutdowns.map((fn) => fn()));
  }

  async start(): Promise<void> {
    for (const fn of this.#starters) await fn();
    for (const p of this.plugins) await p.start?.();
  }

  async stop(): Promise<void> {
    for (const p of [...this.plugins].reverse()) await p.stop?.();
    for (const fn of this.#stoppers.reverse()) await fn();
  }

  /** Resolves once no query of this block is in its chain, or after `timeout` ms. */
  async drain(timeout: number): Promise<void> {
    const until = Date.now() + timeout;
    while (this.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  /** Zones and port, the identity a reload matches blocks by. */
  get identity(): string {
    return `${this.scheme === 'dns' ? '' : `${this.scheme}://`}${[...this.zones].sort().join(',')}:${this.port}`;
  }

  /** True when every plugin that can say is ready. Names the ones that are not. */
  notReady(): string[] {
    return this.plugins.filter((p) => p.ready !== undefined && !p.ready()).map((p) => p.name);
  }
}
