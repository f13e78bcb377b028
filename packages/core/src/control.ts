import type { ServiceToken } from './block.js';

/** One server block as `status` reports it. */
export interface BlockStatus {
  readonly zones: readonly string[];
  readonly port: number;
  readonly bind: readonly string[];
  /** Directives configured, in chain order. */
  readonly plugins: readonly string[];
  /** Plugins not ready yet (empty when the block is ready). */
  readonly notReady: readonly string[];
}

/** What `dnsmesh ctl status` shows: the process, its configuration and its blocks. */
export interface ServerStatus {
  readonly version: string;
  readonly node: string;
  readonly pid: number;
  /** Seconds since the process started. */
  readonly uptime: number;
  readonly config: { readonly file: string; readonly hash: string };
  readonly reloads: number;
  readonly failedReloads: number;
  readonly shuttingDown: boolean;
  readonly blocks: readonly BlockStatus[];
}

/** The result of a reload asked for by an operator. */
export interface ReloadResult {
  readonly ok: boolean;
  /** Why it failed (FILE:LINE - ...), when it did; the running configuration keeps serving. */
  readonly error?: string;
}

/**
 * The running server as an operator controls it: given by the `dnsmesh` binary to every server
 * block (so the admin endpoint can serve `status` and `reload`); absent when a server is composed in code.
 */
export interface ServerControl {
  status(): ServerStatus;
  reload(reason: string): Promise<ReloadResult>;
  /**
   * Stops the server and ends the process with `code`, after logging `message`: for a plugin that
   * finds at run time that the server must not go on serving (loop, as CoreDNS's log.Fatal).
   */
  exit(code: number, message: string): void;
}

export const SERVER_CONTROL: ServiceToken<ServerControl> = Symbol.for('dnsmesh.ServerControl');
