import type { CorefileError } from './errors.js';
import type { Token } from './token.js';

/** One line inside a directive's `{ }` block. Its tokens' `directive` is the enclosing directive. */
export interface Property {
  readonly name: Token;
  readonly args: Token[];
  /** The args, or an error at this line: "success takes 1 to 3 arguments, got 0". No max = no upper limit. */
  expectArgs(min: number, max?: number): Token[];
  /** An error at this line, naming the directive. */
  fail(message: string): CorefileError;
}

/** `name args... [{ properties }]` inside a server block. */
export interface Directive {
  readonly name: Token;
  readonly args: Token[];
  /** The lines of its `{ }` block; [] when there is none. */
  readonly block: Property[];
  readonly file: string;
  readonly line: number;
  readonly hasBlock: boolean;
  /** The canonical zones of the server block it sits in. */
  readonly serverZones: string[];
  /** The args, or an error at this line: "takes 1 to 3 arguments, got 0". No max = no upper limit. */
  expectArgs(min: number, max?: number): Token[];
  fail(message: string): CorefileError;
}

export class PropertyNode implements Property {
  constructor(
    readonly name: Token,
    readonly args: Token[],
  ) {}

  expectArgs(min: number, max?: number): Token[] {
    return checkCount(this, `${this.name.text} takes`, min, max);
  }

  fail(message: string): CorefileError {
    return this.name.fail(message);
  }
}

export class DirectiveNode implements Directive {
  constructor(
    readonly name: Token,
    readonly args: Token[],
    readonly block: Property[],
    readonly hasBlock: boolean,
    readonly serverZones: string[],
  ) {}

  get file(): string {
    return this.name.file;
  }

  get line(): number {
    return this.name.line;
  }

  /** The message already names the directive (`Corefile:3 - forward: takes ...`), so it does not repeat it. */
  expectArgs(min: number, max?: number): Token[] {
    return checkCount(this, 'takes', min, max);
  }

  fail(message: string): CorefileError {
    return this.name.fail(message);
  }
}

function checkCount(at: { args: Token[]; name: Token }, what: string, min: number, max = Infinity): Token[] {
  const n = at.args.length;
  if (n >= min && n <= max) return at.args;
  throw at.name.fail(`${what} ${countText(min, max)}, got ${n}`);
}

function countText(min: number, max: number): string {
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  if (max === 0) return 'no arguments';
  if (min === max) return `exactly ${plural(min)}`;
  if (max === Infinity) return `at least ${plural(min)}`;
  if (min === 0) return `at most ${plural(max)}`;
  return `${min} to ${max} arguments`;
}
