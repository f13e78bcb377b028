import { CorefileError } from './errors.js';
import { Token } from './token.js';

export type Env = Record<string, string | undefined>;

/**
 * A token and its role in the structure. `open`/`close` are unquoted `{` and `}` as written
 * (a `{` that comes out of `{$VAR}` or quotes is a word). `nl` marks the first token of a
 * physical line, which ends a directive's arguments.
 */
export interface Lexeme {
  readonly token: Token;
  readonly kind: 'word' | 'open' | 'close';
  readonly nl: boolean;
}

// {$VAR} and {%VAR%} (the Windows spelling). The value is pasted into the token as is.
const ENV = /\{\$([^{}]+?)\}|\{%([^{}]+?)%\}/g;

/** Replaces environment placeholders in one token; a missing variable becomes ''. */
export function substituteEnv(text: string, env: Env): string {
  if (!text.includes('{')) return text;
  return text.replace(ENV, (_, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? '');
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF';
}

/**
 * Splits Corefile text into lexemes. `#` outside quotes starts a comment to the end of the line
 * (CoreDNS: even in the middle of a word). In double quotes, `\"` is a quote and every other
 * backslash stays as written; a quoted token may span lines and keeps its first line.
 */
export function lex(text: string, file: string, env: Env): Lexeme[] {
  const out: Lexeme[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let nl = true;
  const push = (kind: Lexeme['kind'], value: string, at: number, quoted = false): void => {
    out.push({ token: new Token(value, file, at, quoted), kind, nl });
    nl = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      nl = true;
      i++;
    } else if (isSpace(c)) {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '"') {
      const start = line;
      let value = '';
      let closed = false;
      for (i++; i < n; i++) {
        const d = text[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const e = text[++i]!;
          value += e === '"' ? '"' : d + e;
          if (e === '\n') line++;
          continue;
        }
        if (d === '\n') line++;
        value += d;
      }
      if (!closed) throw new CorefileError('unterminated quoted string', file, start);
      push('word', substituteEnv(value, env), start, true);
    } else {
      let j = i;
      while (j < n && text[j] !== '\n' && text[j] !== '#' && !isSpace(text[j]!)) j++;
      const raw = text.slice(i, j);
      i = j;
      if (raw === '{') push('open', raw, line);
      else if (raw === '}') push('close', raw, line);
      else if (raw === '{}') {
        push('open', '{', line); // `name {}`: an empty block written as one word
        push('close', '}', line);
      } else push('word', substituteEnv(raw, env), line);
    }
  }
  return out;
}
