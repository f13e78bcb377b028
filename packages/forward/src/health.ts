import { encodeName, RRType, CLASS_IN, type Transport, type UpstreamClient } from '@dnsmesh/core';
import { TIMEOUTS } from './options.js';
import type { Upstream } from './upstream-set.js';

export interface ProbeOptions {
  /** Time between the end of a failed probe and the next one (ms). */
  readonly interval: number;
  /** The name asked for, type NS ('.' by default). */
  readonly domain: string;
  /** UDP, or TCP under `force_tcp` (as CoreDNS). */
  readonly transport: Transport;
}

/**
 * Health checks one upstream while it is down: `DOMAIN IN NS` with RD clear, every `interval`,
 * until any reply comes back (whatever its rcode: the upstream is alive); then it is up again and
 * probing stops until the next time it goes down.
 */
export class HealthProbe {
  readonly #query: Buffer;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #active = false;
  #stopped = false;

  constructor(readonly upstream: Upstream, readonly client: UpstreamClient, readonly options: ProbeOptions) {
    this.#query = probeQuery(options.domain);
  }

  /** True while the upstream is being probed. */
  get active(): boolean {
    return this.#active;
  }

  /** Starts probing, one interval from now, unless it is already going. */
  start(): void {
    if (this.#active || this.#stopped) return;
    this.#active = true;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#active = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.#probe(); }, this.options.interval);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    const up = this.upstream;
    if (this.#stopped) return;
    if (!up.down) { this.#active = false; return; } // a real query got through meanwhile
    const ok = await this.client.exchange(this.#query, up.address, {
      transport: this.options.transport, timeout: TIMEOUTS.probe, signal: this.#abort.signal,
    }).then(() => true, () => false);
    if (this.#stopped) return;
    if (ok) {
      up.fails = 0;
      this.#active = false;
      return;
    }
    up.healthcheckFailures++;
    up.fails++;
    this.#schedule();
  }
}

/** `DOMAIN IN NS`, RD clear, ID 0 (the transport puts a random one in its own copy). */
function probeQuery(domain: string): Buffer {
  const name = encodeName(domain);
  const out = Buffer.alloc(12 + name.length + 4);
  out.writeUInt16BE(1, 4);                          // QDCOUNT
  name.copy(out, 12);
  out.writeUInt16BE(RRType.NS, 12 + name.length);
  out.writeUInt16BE(CLASS_IN, 14 + name.length);
  return out;
}
