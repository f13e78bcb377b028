import type { UpstreamTransport } from './upstream/options.js';
import type { Logger } from 'pino';
import { DnsMessage } from './message.js';
import type { ServerBlock } from './block.js';
import type { Instant } from './units.js';
import { DEFAULT_EDNS_SIZE, MIN_UDP_SIZE } from './wire/constants.js';

export type Transport = 'udp' | 'tcp';

/** Who asked. */
export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
  readonly family: 4 | 6;
  /** Makes the client's details its own, where a transport lends them for the time of a batch. */
  detach?(): void;
}

/** How the cache decided, for the query log and metrics. */
export type CacheDecision = 'none' | 'hit' | 'miss' | 'stale' | 'coalesced' | 'prefetch';

/**
 * A small typed bag that plugins fill as a query passes. Every field has a value from the start,
 * so every context keeps one shape. Third-party plugins add fields by module augmentation:
 * `declare module '@dnsmesh/core' { interface QueryState { myField?: number } }`.
 */
export interface QueryState {
  cache: CacheDecision;
  /** The upstream that answered ("127.0.0.1:53"), when one was asked. */
  upstream: string | undefined;
  /** A background refresh (prefetch, serve-stale): the cache skips its read but still stores. */
  refresh: boolean;
  /** The plugin whose reply went out. */
  plugin: string | undefined;
  /** An Extended DNS Error info-code for the reply (RFC 8914), or -1. */
  ede: number;
  /** Why a reply was or was not stored by the cache. */
  stored: string | undefined;
  /** The transport the upstream was asked over, set by forward. */
  upstreamTransport: UpstreamTransport | undefined;
  /**
   * Set by tcp_retry before it passes a truncated query on again: ask over TCP, and ask
   * `upstream` (the one that truncated) when it is one of forward's upstreams.
   */
  forceTcp: boolean;
}

export function initialState(): QueryState {
  return { cache: 'none', upstream: undefined, refresh: false, plugin: undefined, ede: -1, stored: undefined, upstreamTransport: undefined, forceTcp: false };
}

/** An EDNS option (RFC 6891 §6.1.2): its code and its data bytes. */
export interface EdnsOptionData {
  readonly code: number;
  readonly data: Uint8Array;
}

/**
 * EDNS options a plugin asks to go upstream with this query (rewrite's `edns0` rules). dnsmesh
 * builds its own upstream OPT and never passes a client's options on (`upstreamQuery`), so this
 * is the one way an option reaches an upstream: forward and the consul plugin's DNS mode put
 * `options` in their OPT.
 *
 * `perClient` says the upstream query may differ between two clients asking the same question
 * (an ECS subnet from the client's address, the client's own options): then the answer is this
 * client's alone, and the cache neither stores it nor lets another client's query wait for it.
 * A plugin sets it before it calls `next`, synchronously (the cache decides whether others may
 * share the query as soon as `next` returns its promise).
 */
export interface UpstreamEdns {
  readonly options: readonly EdnsOptionData[];
  readonly perClient: boolean;
}

/** Everything a plugin knows about one query. */
export class QueryContext {
  readonly state: QueryState = initialState();
  #controller: AbortController | undefined;
  #log: Logger | undefined;

  constructor(
    readonly request: DnsMessage,
    readonly client: ClientInfo,
    readonly block: ServerBlock,
    /** The clock read once when the query arrived. */
    readonly now: Instant,
    parentSignal?: AbortSignal,
  ) {
    if (parentSignal !== undefined) {
      if (parentSignal.aborted) this.abort(parentSignal.reason);
      else parentSignal.addEventListener('abort', () => this.abort(parentSignal.reason), { once: true });
    }
  }

  /** The most bytes this client takes in one reply. */
  get udpSize(): number {
    if (this.client.transport === 'tcp') return 65535;
    const edns = this.request.edns;
    if (edns === undefined) return MIN_UDP_SIZE;
    return Math.min(Math.max(edns.udpSize, MIN_UDP_SIZE), this.block.maxUdpSize);
  }

  /** Aborted when the server gives up on the query (shutdown). Created on first use: hits never pay for it. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** True once the query was aborted. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Calls `fn` when the query is aborted (at once when it already is); returns what removes it.
   * A plain callback, for code on every miss (forward): an AbortSignal and its listeners cost
   * several microseconds per query in Node.
   */
  onAbort(fn: () => void): () => void {
    if (this.#aborted) { fn(); return noop; }
    this.addAbortListener(fn);
    return () => this.removeAbortListener(fn);
  }

  /**
   * `onAbort` without the remover: call `removeAbortListener(fn)` instead. For the miss path, where
   * a closure per query counts; the usual single listener takes a field, not a collection.
   */
  addAbortListener(fn: () => void): void {
    if (this.#aborted) { fn(); return; }
    if (this.#abortFn === undefined && this.#onAbort === undefined) { this.#abortFn = fn; return; }
    const set = (this.#onAbort ??= new Set());
    if (this.#abortFn !== undefined) { set.add(this.#abortFn); this.#abortFn = undefined; }
    set.add(fn);
  }

  removeAbortListener(fn: () => void): void {
    if (this.#abortFn === fn) this.#abortFn = undefined;
    else this.#onAbort?.delete(fn);
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const one = this.#abortFn;
    const list = this.#onAbort;
    this.#abortFn = undefined;
    this.#onAbort = undefined;
    if (one !== undefined) one();
    if (list !== undefined) for (const fn of list) fn();
  }

  #aborted = false;
  #reason: unknown;
  /** The first abort listener; more go to `#onAbort`, in the order they came. */
  #abortFn: (() => void) | undefined;
  #onAbort: Set<() => void> | undefined;

  /**
   * Sets the reply's Extended DNS Error (RFC 8914): `state.ede`, and an EXTRA-TEXT for an operator
   * reading the reply. The text is kept beside the context, not in it: a field more on every
   * context makes every cache hit allocate (measured with bench/hitpath.mjs).
   */
  setEde(code: number, text?: string): void {
    this.state.ede = code;
    if (text === undefined) edeTexts.delete(this);
    else edeTexts.set(this, text);
  }

  /** The EXTRA-TEXT given to `setEde`, if any. */
  get edeText(): string | undefined {
    return edeTexts.get(this);
  }

  /**
   * Why this query failed, when a plugin answered SERVFAIL for a reason an operator should see (no
   * upstream answered, a network error): the errors plugin logs it, as CoreDNS logs the error a
   * plugin returns. Kept beside the context, as the EDE text is (no field more per query).
   */
  get failure(): string | undefined {
    return failures.get(this);
  }

  set failure(text: string | undefined) {
    if (text === undefined) failures.delete(this);
    else failures.set(this, text);
  }

  /**
   * The EDNS options to send upstream with this query, when a plugin set some (see
   * `UpstreamEdns`). Kept beside the context, as the EDE text is: most queries have none.
   */
  get upstreamEdns(): UpstreamEdns | undefined {
    return upstreamEdnsOf.get(this);
  }

  set upstreamEdns(value: UpstreamEdns | undefined) {
    if (value === undefined) upstreamEdnsOf.delete(this);
    else upstreamEdnsOf.set(this, value);
  }

  /** A child logger with the query's name and type, created on first use. */
  get log(): Logger {
    this.#log ??= this.block.logger.child({ name: this.request.question?.name, type: this.request.qtypeName });
    return this.#log;
  }

  /**
   * A context for a query the server makes itself (prefetch, stale refresh), with `refresh` set.
   * Its request owns a copy of the bytes: the query a client sent may live in transport memory
   * that is reused as soon as a synchronous answer has gone (the batched UDP transport).
   */
  derive(request: DnsMessage = this.request): QueryContext {
    const own = new DnsMessage(Buffer.from(request.bytes));
    this.client.detach?.();
    const ctx = new QueryContext(own, this.client, this.block, this.block.clock.now());
    ctx.state.refresh = true;
    return ctx;
  }
}

function noop(): void {}

/** EXTRA-TEXT of Extended DNS Errors, by query (see `QueryContext.setEde`). */
const edeTexts = new WeakMap<QueryContext, string>();
/** Why a query failed, by query (see `QueryContext.failure`). */
const failures = new WeakMap<QueryContext, string>();
/** EDNS options for the upstream query, by query (see `QueryContext.upstreamEdns`). */
const upstreamEdnsOf = new WeakMap<QueryContext, UpstreamEdns>();

export { DEFAULT_EDNS_SIZE };
