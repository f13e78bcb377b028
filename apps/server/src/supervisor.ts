import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CacheStore } from '@dnsmesh/cache';
import {
  CorefileError, DnsServer, loadBlocks, loadCorefile, SERVER_CONTROL, type Clock, type PluginRegistry, type ServerBlock, type ServerControl, type ServerStatus,
} from '@dnsmesh/core';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { applyBlockDefaults } from './defaults.js';
import { PluginLoader } from './plugin-loader.js';
import { ReloadSettings } from './reload/setup.js';
import { publishServerMetrics } from './server-metrics.js';
import { VERSION } from './version.js';
import { warmUp } from './warmup/warmup.js';

/** The warm-up ends after this, however many of its queries are left (a slow machine still starts). */
const WARMUP_TIME_LIMIT = 3000;

export interface SupervisorOptions {
  readonly conf: string;
  readonly dnsPort: number;
  readonly registry: PluginRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** false: Node's dgram even where the batched UDP transport loads (-udp.batch=false). */
  readonly udpBatch?: boolean;
  /** Queries the warm-up asks before the listeners open (./warmup/warmup.ts); 0 or unset: none. */
  readonly warmup?: number;
}

/**
 * Owns the running server across reloads: loads the Corefile, starts the server, reloads on SIGHUP
 * or when the `reload` directive sees the files change, and keeps the running configuration when
 * the new one has a mistake. One metrics registry lives across reloads, so counters carry on.
 */
export class Supervisor {
  readonly metrics = new Registry();
  #server: DnsServer | undefined;
  #hash = '';
  /** The hash of the configuration that is serving (not of a file that failed to load). */
  #running = '';
  #unpublish: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<boolean> | undefined;
  /** Reloads tried and failed (a bad Corefile), for tests and the log. */
  failedReloads = 0;
  reloads = 0;
  /** Why the last reload failed. */
  lastReloadError: string | undefined;
  readonly #started = Date.now();
  /** What the admin endpoint's status and reload reach (`SERVER_CONTROL` in every block). */
  readonly control: ServerControl = {
    status: () => this.status(),
    reload: async (reason) => (await this.reload(reason)) ? { ok: true } : { ok: false, error: this.lastReloadError ?? 'reload failed' },
    exit: (code, message) => {
      this.opts.logger.fatal(message);
      this.#exit(code);
    },
  };
  #exit: (code: number) => void = () => {};
  /** Resolves with an exit code when a plugin asks the process to end (`ServerControl.exit`). */
  readonly exitRequested = new Promise<number>((resolve) => { this.#exit = resolve; });

  constructor(readonly opts: SupervisorOptions) {}

  get server(): DnsServer | undefined {
    return this.#server;
  }

  /** Loads and starts; throws CorefileError (nothing bound) on a mistake. */
  async start(): Promise<DnsServer> {
    const { blocks, hash } = await this.#load(undefined);
    if ((this.opts.warmup ?? 0) > 0) await this.#warmUp(this.opts.warmup!);
    const server = new DnsServer(blocks, this.opts.clock, this.opts.logger, this.metrics);
    if (this.opts.udpBatch === false) server.udp = 'dgram';
    await server.start();
    this.#server = server;
    this.#hash = hash;
    this.#running = hash;
    this.#unpublish ??= publishServerMetrics(this.metrics, () => ({ server: this.#server, failedReloads: this.failedReloads, hash: this.#running }));
    this.#schedule();
    return server;
  }

  /** Compiles the hot paths before the first client's query (after the Corefile proved good, before a port is bound). */
  async #warmUp(queries: number): Promise<void> {
    let r;
    try {
      r = await warmUp({ queries, registry: this.opts.registry, clock: this.opts.clock, udpBatch: this.opts.udpBatch !== false, timeLimit: WARMUP_TIME_LIMIT });
    } catch (err) {
      // Only a speed-up: a machine where it cannot run (no 127.0.0.1, say) starts without it.
      this.opts.logger.warn({ error: (err as Error).message }, `warm-up failed, starting without it: ${(err as Error).message}`);
      return;
    }
    this.opts.logger.info({ asked: r.asked, answered: r.answered, upstream: r.upstream, ms: Math.round(r.elapsed) }, `warmed up: ${r.answered} of ${r.asked} warm-up queries answered in ${Math.round(r.elapsed)} ms`);
  }

  /** Loads the Corefile and builds its blocks without starting anything: for a primary that only checks. */
  async check(): Promise<readonly ServerBlock[]> {
    return (await this.#load(undefined)).blocks;
  }

  /** Loads the Corefile again and swaps it in. Resolves false (old config serving) on any error. */
  reload(reason: string): Promise<boolean> {
    this.#reloading ??= this.#reload(reason).finally(() => { this.#reloading = undefined; });
    return this.#reloading;
  }

  async #reload(reason: string): Promise<boolean> {
    const server = this.#server;
    if (server === undefined) return false;
    let loaded;
    try {
      loaded = await this.#load(server.blocks);
      await server.replaceBlocks(loaded.blocks);
    } catch (err) {
      this.failedReloads++;
      const message = err instanceof CorefileError ? err.message : (err as Error).message;
      this.lastReloadError = message;
      this.opts.logger.error({ reason, error: message }, `reload failed, keeping the running configuration: ${message}`);
      return false;
    }
    this.#hash = loaded.hash;
    this.#running = loaded.hash;
    this.reloads++;
    this.opts.logger.info({ reason }, 'reloaded');
    this.#schedule();
    return true;
  }

  /** The process, its configuration and its blocks, for `dnsmesh ctl status`. */
  status(): ServerStatus {
    const blocks = this.#server?.blocks ?? [];
    return {
      version: VERSION, node: process.version, pid: process.pid, uptime: Math.round((Date.now() - this.#started) / 1000),
      config: { file: this.opts.conf, hash: this.#running }, reloads: this.reloads, failedReloads: this.failedReloads,
      shuttingDown: blocks.some((b) => b.shuttingDown),
      blocks: blocks.map((b) => ({ zones: b.zones, port: b.port || (this.#server?.port ?? 0), bind: b.bind, plugins: b.enabled, notReady: b.notReady() })),
    };
  }

  /** Logs what each block's cache holds and has done (SIGUSR1, as dnsmasq). */
  summary(): void {
    for (const block of this.#server?.blocks ?? []) {
      const store = block.find(CacheStore);
      if (store === undefined) continue;
      const c = store.counts;
      this.opts.logger.info({
        server: block.serverLabel, zones: block.zones, entries: store.size, success: store.count('success'),
        denial: store.count('denial'), bytes: store.bytes, hits: c.hitsSuccess + c.hitsDenial, misses: c.misses,
        coalesced: c.coalesced, inserts: c.inserts, evictions: c.evictions, prefetches: c.prefetches,
        served_stale: c.servedStale, not_stored: Object.fromEntries(c.notStored),
      }, 'cache summary');
    }
  }

  async stop(drainTimeout: number): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#reloading;
    await this.#server?.stop(drainTimeout);
  }

  async #load(previous: readonly ServerBlock[] | undefined): Promise<{ blocks: ServerBlock[]; hash: string }> {
    const { blocks: configs, files } = loadCorefile(this.opts.conf);
    if (configs.length === 0) throw new Error(`${this.opts.conf}: no server blocks`);
    // Plugins from packages: `plugin` lines first, then any directive no built-in knows.
    const plugins = new PluginLoader(this.opts.registry, { conf: this.opts.conf });
    await plugins.applyPluginLines(configs);
    const blocks = await loadBlocks(configs, {
      registry: plugins.registry, clock: this.opts.clock, logger: this.opts.logger, metrics: this.metrics,
      defaultPort: this.opts.dnsPort, previous, resolveUnknown: plugins.resolveUnknown, services: [[SERVER_CONTROL, this.control]],
    });
    applyBlockDefaults(blocks, plugins.registry);
    return { blocks, hash: hashFiles(files) };
  }

  /** The reload check, when a block asks for one: every INTERVAL plus up to JITTER. */
  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const settings = this.#server?.blocks.map((b) => b.find(ReloadSettings)).find((s) => s !== undefined);
    if (settings === undefined) return;
    const wait = settings.interval + Math.floor(Math.random() * settings.jitter);
    this.#timer = setTimeout(() => { void this.#check(); }, wait);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    let hash: string;
    try {
      hash = hashFiles(loadCorefile(this.opts.conf).files);
    } catch {
      hash = 'unreadable';
    }
    if (hash !== this.#hash) {
      if (!(await this.reload('Corefile changed'))) this.#hash = hash; // do not retry the same broken file
    }
    this.#schedule();
  }
}

function hashFiles(files: readonly string[]): string {
  const h = createHash('sha512');
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}
