/**
 * Every Corefile problem, from the lexer to a plugin's setup, is a CorefileError, so the
 * message always reads `FILE:LINE - DIRECTIVE: message` (or `- Error during parsing:` when
 * no directive is known), as CONTRACT.md asks.
 */
export class CorefileError extends Error {
  override readonly name = 'CorefileError';
  /** The message without the `FILE:LINE - ...:` prefix. */
  readonly detail: string;

  constructor(
    detail: string,
    readonly file: string,
    readonly line: number,
    readonly directive?: string,
  ) {
    super(`${file}:${line} - ${directive ? directive : 'Error during parsing'}: ${detail}`);
    this.detail = detail;
  }
}
