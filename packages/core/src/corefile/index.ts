// The Corefile parser: text (and imported files) in, server blocks of directives out.
// It knows no plugin names; the registry checks directives later.
export { CorefileError } from './errors.js';
export { Token, type Range } from './token.js';
export type { Directive, Property } from './directive.js';
export { SCHEME_PORTS, type Scheme, type ServerKey } from './keys.js';
export { parseCorefile, loadCorefile, type ParseOptions, type ServerBlockConfig } from './parser.js';
export { parseDuration, formatDuration } from './duration.js';
