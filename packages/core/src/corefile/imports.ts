import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CorefileError } from './errors.js';
import { lex, type Env, type Lexeme } from './lexer.js';
import { Token } from './token.js';

/** CoreDNS's cap: more pastes than this is a loop or a config nobody meant. */
export const MAX_EXPANSIONS = 10_000;

export interface ImportIo {
  readonly env: Env;
  readonly readFile: (path: string) => string;
  readonly listDir: (dir: string) => string[];
}

interface Snippet {
  readonly body: readonly Lexeme[];
  readonly token: Token;
}

/** One pass over the whole config, top file and imports, in order. */
class Expansion {
  readonly out: Lexeme[] = [];
  readonly files: string[] = [];
  readonly snippets = new Map<string, Snippet>();
  /** What is being pasted right now: ids for cycle checks, labels for the message. */
  readonly stack: { id: string; label: string }[] = [];
  depth = 0; // brace depth of `out`: snippets are defined at depth 0 only
  count = 0;

  constructor(readonly io: ImportIo) {}

  /**
   * Copies `src` to `out`, pasting `import` lines and taking `(name) { ... }` snippet
   * definitions out. Tokens are copied so a snippet pasted twice gives distinct tokens.
   */
  paste(src: readonly Lexeme[]): void {
    for (let i = 0; i < src.length; i++) {
      const lx = src[i]!;
      // A statement starts a line or follows a brace (`. { import common }`).
      const prev = src[i - 1];
      const start = i === 0 || lx.nl || prev!.kind !== 'word';
      if (start && lx.kind === 'word' && !lx.token.quoted && lx.token.text === 'import') {
        let j = i + 1;
        while (j < src.length && src[j]!.kind === 'word' && !src[j]!.nl) j++;
        if (j - i !== 2) throw failAt(lx.token, `import takes exactly one argument (a snippet, file or glob), got ${j - i - 1}`);
        this.import(lx.token, src[i + 1]!.token.text);
        i = j - 1;
        continue;
      }
      if (start && this.depth === 0 && isSnippetName(lx)) {
        i = this.define(src, i);
        continue;
      }
      if (lx.kind === 'open') this.depth++;
      if (lx.kind === 'close' && this.depth > 0) this.depth--;
      const t = lx.token;
      this.out.push({ token: new Token(t.text, t.file, t.line, t.quoted), kind: lx.kind, nl: i === 0 || lx.nl });
    }
  }

  /** Stores `(name) { ... }` starting at src[at]; returns the index of its closing brace. */
  define(src: readonly Lexeme[], at: number): number {
    const head = src[at]!.token;
    const name = head.text.slice(1, -1);
    if (src[at + 1]?.kind !== 'open') throw head.fail(`snippet ${head.text} must be followed by '{'`);
    let depth = 0;
    for (let j = at + 1; j < src.length; j++) {
      const kind = src[j]!.kind;
      if (kind === 'open') depth++;
      else if (kind === 'close' && --depth === 0) {
        const before = this.snippets.get(name);
        if (before) throw head.fail(`snippet ${head.text} is already defined at ${before.token.file}:${before.token.line}`);
        this.snippets.set(name, { body: src.slice(at + 2, j), token: head });
        return j;
      }
    }
    throw head.fail(`unclosed snippet ${head.text}: no matching '}'`);
  }

  import(at: Token, arg: string): void {
    if (++this.count > MAX_EXPANSIONS) throw failAt(at, `more than ${MAX_EXPANSIONS} imports; is there an import loop?`);
    const snippet = this.snippets.get(arg);
    if (snippet) {
      this.within(at, `snippet:${arg}`, `(${arg})`, () => this.paste(snippet.body));
      return;
    }
    const path = isAbsolute(arg) ? arg : join(dirname(at.file), arg);
    for (const file of this.match(at, path, arg)) {
      const text = this.read(at, file, arg);
      this.within(at, `file:${resolve(file)}`, file, () => this.paste(lex(text, file, this.io.env)));
    }
  }

  /** The files a path names: itself, or for a glob in the last segment, the sorted matches. */
  match(at: Token, path: string, arg: string): string[] {
    const dir = dirname(path);
    const pattern = basename(path);
    if (/[*?]/.test(dir)) throw failAt(at, `'${arg}': wildcards are supported in the last path segment only`);
    if (!/[*?]/.test(pattern)) return [path];
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    let names: string[];
    try {
      names = this.io.listDir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return []; // a glob may match nothing
      throw failAt(at, `cannot list '${dir}': ${(err as Error).message}`);
    }
    return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
  }

  read(at: Token, file: string, arg: string): string {
    let text: string;
    try {
      text = this.io.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw failAt(at, `no snippet or file named '${arg}' (${file} does not exist)`);
      }
      throw failAt(at, `cannot read ${file}: ${(err as Error).message}`);
    }
    if (!this.files.includes(file)) this.files.push(file);
    return text;
  }

  within(at: Token, id: string, label: string, work: () => void): void {
    if (this.stack.some((s) => s.id === id)) {
      throw failAt(at, `import cycle: ${[...this.stack.map((s) => s.label), label].join(' -> ')}`);
    }
    this.stack.push({ id, label });
    work();
    this.stack.pop();
  }
}

function isSnippetName(lx: Lexeme): boolean {
  const t = lx.token;
  return lx.kind === 'word' && !t.quoted && t.text.length > 2 && t.text.startsWith('(') && t.text.endsWith(')');
}

function failAt(token: Token, message: string): CorefileError {
  return new CorefileError(message, token.file, token.line, 'import');
}

/**
 * The top file's lexemes with every import pasted in and snippet definitions removed.
 * `files` lists the imported files read (not the top file).
 */
export function expandImports(top: readonly Lexeme[], file: string, io: ImportIo): { lexemes: Lexeme[]; files: string[] } {
  const x = new Expansion(io);
  x.within(new Token('', file, 0), `file:${resolve(file)}`, file, () => x.paste(top));
  return { lexemes: x.out, files: x.files };
}
