import type { compile } from '@ctrl/golang-template';

export type Compiled = ReturnType<typeof compile>;

/** One `template` directive. */
export interface TemplateOptions {
  /** 1 IN, 3 CH, 255 ANY. */
  readonly qclass: number;
  /** A type, or 255 for ANY. */
  readonly qtype: number;
  /** Canonical zones; the server block's by default. */
  readonly zones: readonly string[];
  /** Tried in order against the query name (lower case, trailing dot); default `.*`. */
  readonly regex: readonly RegExp[];
  readonly answer: readonly Compiled[];
  readonly additional: readonly Compiled[];
  readonly authority: readonly Compiled[];
  readonly rcode: number;
  /** `ederror CODE [REASON]`: an Extended DNS Error (RFC 8914) on the templated answer. */
  readonly ede: { readonly code: number; readonly reason: string | undefined } | undefined;
  /** Zones where a name no regex matches goes on down the chain; [] = nowhere (NXDOMAIN). */
  readonly fallthrough: readonly string[];
}
