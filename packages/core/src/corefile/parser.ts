import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DirectiveNode, PropertyNode, type Directive, type Property } from './directive.js';
import { expandImports } from './imports.js';
import { parseKeys, type KeyAt, type ServerKey } from './keys.js';
import { lex, type Env, type Lexeme } from './lexer.js';
import type { Token } from './token.js';

export interface ServerBlockConfig {
  readonly keys: ServerKey[];
  readonly directives: Directive[];
  /** Where the block's first key was written. */
  readonly file: string;
  readonly line: number;
}

export interface ParseOptions {
  /** For `{$VAR}` and `{%VAR%}`; default process.env. */
  env?: Record<string, string | undefined>;
  /** Default: readFileSync(path, 'utf8'). */
  readFile?: (path: string) => string;
  /** File names in a directory, for import globs. Default: its regular files and links to files. */
  listDir?: (dir: string) => string[];
}

/** Parses Corefile text; `file` is used in messages and as the base for relative imports. */
export function parseCorefile(text: string, file: string, opts: ParseOptions = {}): ServerBlockConfig[] {
  return parse(text, file, opts).blocks;
}

/** Reads and parses a Corefile. `files` is every file read, the top one first (for reload hashing). */
export function loadCorefile(path: string, opts: ParseOptions = {}): { blocks: ServerBlockConfig[]; files: string[] } {
  const text = (opts.readFile ?? readText)(path); // an unreadable top file throws the fs error as is
  const { blocks, files } = parse(text, path, opts);
  return { blocks, files: [path, ...files.filter((f) => f !== path)] };
}

function parse(text: string, file: string, opts: ParseOptions): { blocks: ServerBlockConfig[]; files: string[] } {
  const env: Env = opts.env ?? process.env;
  const io = { env, readFile: opts.readFile ?? readText, listDir: opts.listDir ?? listFiles };
  const { lexemes, files } = expandImports(lex(text, file, env), file, io);
  const blocks = new BlockParser(lexemes).parse();
  return { blocks, files };
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() || (e.isSymbolicLink() && statSync(join(dir, e.name), { throwIfNoEntry: false })?.isFile()))
    .map((e) => e.name);
}

/** Server blocks from the expanded lexemes: keys, then `{ directives }`. */
class BlockParser {
  #i = 0;
  /** `zone port` -> the key that took it first, for the duplicate check. */
  readonly #seen = new Map<string, KeyAt>();

  constructor(readonly lexemes: readonly Lexeme[]) {}

  parse(): ServerBlockConfig[] {
    const blocks: ServerBlockConfig[] = [];
    while (this.#peek()) blocks.push(this.#block(blocks.length === 0));
    return blocks;
  }

  #peek(): Lexeme | undefined {
    return this.lexemes[this.#i];
  }

  #next(): Lexeme {
    return this.lexemes[this.#i++]!;
  }

  #block(first: boolean): ServerBlockConfig {
    const head = this.#peek()!;
    if (head.kind === 'close') throw head.token.fail("unexpected '}' (no matching '{')");
    if (head.kind === 'open') throw head.token.fail("'{' without a server block key before it");
    // Keys run to the end of the line, or on to the next line after a trailing comma.
    const keyTokens = [this.#next().token];
    for (let lx = this.#peek(); lx?.kind === 'word' && (!lx.nl || keyTokens.at(-1)!.text.endsWith(',')); lx = this.#peek()) {
      keyTokens.push(this.#next().token);
    }
    const last = keyTokens.at(-1)!;
    if (last.text.endsWith(',') && !last.quoted) throw last.fail("expected another server block key after ','");
    const keys = parseKeys(keyTokens);
    for (const k of keys) this.#claim(k);
    const zones = [...new Set(keys.map((k) => k.key.zone))];

    const open = this.#peek();
    let directives: Directive[];
    if (open?.kind === 'open') {
      this.#next();
      directives = this.#body(zones, open);
    } else if (first) {
      directives = this.#body(zones, undefined); // no braces: the whole file is this one block
    } else {
      throw last.fail(`expected '{' after the server block keys, got ${open ? `'${open.token.text}'` : 'the end of the file'}`);
    }
    return { keys: keys.map((k) => k.key), directives, file: keyTokens[0]!.file, line: keyTokens[0]!.line };
  }

  /** The same zone and port in two places is an error naming both. */
  #claim(k: KeyAt): void {
    const id = `${k.key.zone} ${k.key.port ?? ''}`;
    const before = this.#seen.get(id);
    if (before) {
      const port = k.key.port === undefined ? 'the default port' : `port ${k.key.port}`;
      throw k.token.fail(`zone ${k.key.zone} on ${port} is defined twice: '${k.key.text}' here and '${before.key.text}' at ${before.token.file}:${before.token.line}`);
    }
    this.#seen.set(id, k);
  }

  /** Directives up to the `}` that closes `open`, or to the end for a block without braces. */
  #body(zones: string[], open: Lexeme | undefined): Directive[] {
    const directives: Directive[] = [];
    for (;;) {
      const lx = this.#peek();
      if (lx === undefined) {
        if (open) throw open.token.fail("unclosed '{': no matching '}'");
        return directives;
      }
      if (lx.kind === 'close') {
        this.#next();
        if (open) return directives;
        throw lx.token.fail("unexpected '}' (no matching '{')");
      }
      if (lx.kind === 'open') {
        throw lx.token.fail("unexpected '{': a block opens on the same line as its directive");
      }
      directives.push(this.#directive(zones));
    }
  }

  #directive(zones: string[]): Directive {
    const name = this.#next().token;
    const dir = name.text;
    name.directive = dir;
    const args = this.#args(dir);
    const brace = this.#peek();
    // Each directive gets its own copy of the zones: a plugin may keep or change it.
    if (brace?.kind !== 'open' || brace.nl) return new DirectiveNode(name, args, [], false, [...zones]);
    this.#next();
    brace.token.directive = dir;
    return new DirectiveNode(name, args, this.#properties(dir, brace.token), true, [...zones]);
  }

  /** Property lines up to the closing `}`; a `{` in here would be a second level. */
  #properties(dir: string, open: Token): Property[] {
    const props: Property[] = [];
    for (;;) {
      const lx = this.#peek();
      if (lx === undefined) throw open.fail("unclosed '{': no matching '}'");
      lx.token.directive = dir;
      if (lx.kind === 'close') {
        this.#next();
        return props;
      }
      if (lx.kind === 'open') throw lx.token.fail('nested blocks are not supported');
      const name = this.#next().token;
      const args = this.#args(dir);
      const after = this.#peek();
      if (after?.kind === 'open' && !after.nl) {
        after.token.directive = dir;
        throw after.token.fail('nested blocks are not supported');
      }
      props.push(new PropertyNode(name, args));
    }
  }

  /** The words after a name on the same line. */
  #args(dir: string): Token[] {
    const args: Token[] = [];
    for (let lx = this.#peek(); lx?.kind === 'word' && !lx.nl; lx = this.#peek()) {
      this.#next();
      lx.token.directive = dir;
      args.push(lx.token);
    }
    return args;
  }
}
