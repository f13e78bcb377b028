// ConsulSim: the catalog, the DNS and HTTP ports, and the failure switches, wired together.
import { dnsGrant } from './acl.js';
import { addBigService, type BigServiceOptions } from './big-service.js';
import { newCounters, resetCounters, type Counters } from './counters.js';
import type { AnswerContext } from './dns/answer.js';
import { respond } from './dns/respond.js';
import { DnsServer } from './dns/server.js';
import { Failures, startFlap, type FailureMode, type FailureOptions } from './failures.js';
import type { Control } from './http/control.js';
import { HttpServer } from './http/server.js';
import { resolveOptions, type SimConfig, type SimOptions } from './options.js';
import { seededRandom } from './shuffle.js';
import {
  Catalog, type CheckInput, type NodeInput, type PreparedQueryInput, type ServiceInput,
} from './state.js';
import { Timers } from './timers.js';

export class ConsulSim implements Control {
  readonly config: SimConfig;
  readonly counters: Counters = newCounters();
  readonly #catalog = new Catalog();
  readonly #failures = new Failures();
  readonly #timers = new Timers();
  readonly #dns: DnsServer;
  readonly #http: HttpServer;
  #dnsPort: number;
  #httpPort: number;
  #listening = false;
  #closed = false;

  private constructor(options: SimOptions) {
    this.config = resolveOptions(options);
    this.#dnsPort = this.config.dnsPort;
    this.#httpPort = this.config.httpPort;
    const random = this.config.seed === undefined ? Math.random : seededRandom(this.config.seed);
    const answerCtx: AnswerContext = {
      cfg: this.config, catalog: this.#catalog, counters: this.counters, random,
      grant: dnsGrant(this.config.acl),
      rpcFails: () => this.#rpcFails(),
      servers: () => [this.#catalog.node(this.config.nodeName)].filter((n) => n !== undefined),
    };
    this.#dns = new DnsServer({
      handle: (query, transport) => respond(query, transport, answerCtx),
      blackholed: () => this.#failures.blackholed('dns'),
      delay: () => this.#failures.delay('dns', Math.random),
      timers: this.#timers,
    });
    this.#http = new HttpServer({
      cfg: this.config, catalog: this.#catalog, counters: this.counters, failures: this.#failures,
      timers: this.#timers, control: this, ports: () => ({ dns: this.#dnsPort, http: this.#httpPort }),
    });
    // A one-server cluster, like `consul agent -dev`: the agent's own node runs the `consul` service.
    const address = this.config.host === '::1' ? '::1' : '127.0.0.1';
    this.#catalog.registerNode({ name: this.config.nodeName, address });
    this.#catalog.registerService({ id: 'consul', name: 'consul', node: this.config.nodeName, port: 8300 });
  }

  static async start(options: SimOptions = {}): Promise<ConsulSim> {
    const sim = new ConsulSim(options);
    await sim.#listen();
    return sim;
  }

  get dnsPort(): number { return this.#dnsPort; }
  get httpPort(): number { return this.#httpPort; }
  get dnsAddress(): string { return `${this.#hostForUrl()}:${this.#dnsPort}`; }
  /** `https://` when the simulator serves TLS; the host is `localhost` then only if tests ask for it. */
  get httpUrl(): string { return `${this.config.tls === undefined ? 'http' : 'https'}://${this.#hostForUrl()}:${this.#httpPort}`; }
  /** The global index, bumped by every write. */
  get index(): number { return this.#catalog.index; }
  /** The index a blocking query on this service sees. */
  serviceIndex(name: string): number { return this.#catalog.serviceIndex(name); }

  registerNode(n: NodeInput): void { this.#catalog.registerNode(n); }
  deregisterNode(name: string): void { this.#catalog.deregisterNode(name); }
  registerService(s: ServiceInput): void { this.#catalog.registerService(s); }
  deregisterService(id: string): void { this.#catalog.deregisterService(id); }
  setCheck(c: CheckInput): void { this.#catalog.setCheck(c); }
  setNodeMeta(node: string, meta: Record<string, string>): void { this.#catalog.setNodeMeta(node, meta); }
  bumpIndex(service?: string): number { return this.#catalog.bumpIndex(service); }
  addBigService(name: string, count: number, opts?: BigServiceOptions): string[] {
    return addBigService(this.#catalog, name, count, opts);
  }
  registerPreparedQuery(q: PreparedQueryInput): void { this.#catalog.registerPreparedQuery(q); }
  /** ACL mode: adds (or changes) a token's grant. */
  setToken(token: string, grant: 'all' | readonly string[]): void { this.#acl().tokens[token] = grant; }
  /** ACL mode: deletes a token; requests carrying it get 403 "ACL not found" from now on. */
  revokeToken(token: string): void { delete this.#acl().tokens[token]; }
  resetCounters(): void { resetCounters(this.counters); }

  /** Nodes with their services and checks, the indexes and the active failures. */
  snapshot(): unknown {
    return {
      index: this.#catalog.index,
      nodes: this.#catalog.nodes().map((n) => ({
        name: n.name, address: n.address, meta: n.meta, status: n.serf.status,
        services: this.#catalog.servicesOn(n.name).map((s) => ({
          id: s.id, name: s.name, tags: s.tags, address: s.address, port: s.port, meta: s.meta,
          weights: s.weights, status: s.check.status, index: this.#catalog.serviceIndex(s.name),
        })),
      })),
      failures: this.failures(),
    };
  }
  failures(): unknown { return this.#failures.list(); }

  /**
   * Switches a failure mode on (several may be on at once). index_reset is one-shot: it lowers the
   * indexes, wakes every waiter, and does not stay on.
   */
  async setFailure<M extends FailureMode>(mode: M, opts?: FailureOptions[M]): Promise<void> {
    if (this.#closed) throw new Error('consul-sim: closed');
    const o = (opts ?? {}) as FailureOptions[M];
    switch (mode) {
      case 'index_reset':
        this.#catalog.resetIndex((o as FailureOptions['index_reset']).to);
        return;
      case 'flap': {
        const stop = startFlap(this.#catalog, this.#timers, o as FailureOptions['flap']);
        this.#failures.set('flap', o as FailureOptions['flap'], stop);
        return;
      }
      case 'down': {
        const ms = (o as FailureOptions['down']).for;
        const timer = ms === undefined ? undefined : this.#timers.after(ms, () => { void this.up(); });
        this.#failures.set('down', o as FailureOptions['down'], () => { if (timer) this.#timers.clear(timer); });
        await this.#stop();
        return;
      }
      default:
        this.#failures.set(mode, o);
    }
  }

  /** Switches one mode off, or all of them; clearing `down` reopens the ports. */
  async clearFailure(mode?: FailureMode): Promise<void> {
    if (mode === undefined) this.#failures.clearAll();
    else this.#failures.clear(mode);
    if (!this.#closed && !this.#failures.has('down') && !this.#listening) await this.#listen();
  }

  /** Reopens both ports on the same numbers after `down`. */
  up(): Promise<void> { return this.clearFailure('down'); }

  /** Clears every timer, ends held requests and closes both ports. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failures.clearAll();
    this.#timers.clearAll();
    await this.#stop();
  }

  /** Whether the server RPC behind a DNS lookup fails now (notes §6.3, §6.4). */
  #rpcFails(): boolean {
    const f = this.#failures;
    if (f.has('no_servers') || f.options('rate_limit')?.dns === true) return true;
    if (!f.has('no_leader')) return false;
    return !this.config.allowStale || f.age('no_leader') >= this.config.maxStaleMs;
  }

  async #listen(): Promise<void> {
    const host = this.config.host;
    this.#dnsPort = await this.#dns.listen(host, this.#dnsPort);
    try {
      this.#httpPort = await this.#http.listen(host, this.#httpPort);
    } catch (err) {
      await this.#dns.close();
      throw err;
    }
    this.#listening = true;
  }

  /** Held requests end first: their waits finish now, and their sockets go with the servers. */
  async #stop(): Promise<void> {
    this.#listening = false;
    this.#catalog.wakeAll('close');
    await Promise.all([this.#dns.close(), this.#http.close()]);
  }

  #acl(): NonNullable<SimConfig['acl']> {
    if (this.config.acl === undefined) throw new Error('consul-sim: ACLs are off (start with acl: { tokens })');
    return this.config.acl;
  }

  #hostForUrl(): string { return this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host; }
}

/** Starts a simulator on loopback (ports 0 by default) and resolves once both ports listen. */
export function startConsulSim(options?: SimOptions): Promise<ConsulSim> {
  return ConsulSim.start(options);
}
