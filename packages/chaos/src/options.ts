/** What `chaos` answers. */
export interface ChaosOptions {
  /** For `version.bind` and `version.server`; undefined: `dnsmesh-VERSION` of the running server. */
  readonly version: string | undefined;
  /** For `authors.bind`, one TXT record each. */
  readonly authors: readonly string[];
  /** For `hostname.bind` and `id.server`; undefined: the machine's host name. */
  readonly hostname: string | undefined;
}

export const DEFAULT_AUTHORS: readonly string[] = ['dnsmesh contributors (https://github.com/dnsmesh/dnsmesh)'];
