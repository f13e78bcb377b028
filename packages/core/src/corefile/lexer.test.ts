import { describe, it, expect } from 'vitest';
import { lex, substituteEnv } from './lexer.js';

/** Each lexeme as `LINE:TEXT`, with `^` before the first of a line, `"` around quoted text, and bare braces. */
function show(text: string, env: Record<string, string> = {}): string[] {
  return lex(text, 'Corefile', env).map((lx) => {
    const t = lx.token;
    const body = lx.kind === 'word' && t.quoted ? `"${t.text}"` : t.text;
    return `${lx.nl ? '^' : ''}${t.line}:${lx.kind === 'word' ? body : `<${body}>`}`;
  });
}

describe('lex', () => {
  const cases: { name: string; input: string; env?: Record<string, string>; want: string[] }[] = [
    { name: 'words and braces', input: '. {\n  log\n}\n', want: ['^1:.', '1:<{>', '^2:log', '^3:<}>'] },
    { name: 'one line block', input: '. { log }', want: ['^1:.', '1:<{>', '1:log', '1:<}>'] },
    { name: 'empty block written {}', input: '. {}', want: ['^1:.', '1:<{>', '1:<}>'] },
    { name: 'comment to end of line', input: 'log # a comment { }\nerrors', want: ['^1:log', '^2:errors'] },
    { name: 'comment mid-word, as CoreDNS', input: 'a#b c', want: ['^1:a'] },
    { name: 'comment sign in quotes', input: 'x "a # b"', want: ['^1:x', '1:"a # b"'] },
    { name: 'quoted token with spaces', input: 'forward . "a b"  c', want: ['^1:forward', '1:.', '1:"a b"', '1:c'] },
    { name: 'escaped quote', input: String.raw`x "say \"hi\""`, want: ['^1:x', '1:"say "hi""'] },
    { name: 'other backslashes stay', input: String.raw`x "a\nb\\"`, want: ['^1:x', String.raw`1:"a\nb\\"`] },
    { name: 'empty quoted token', input: 'x ""', want: ['^1:x', '1:""'] },
    { name: 'quoted braces are words', input: 'x "{" "}"', want: ['^1:x', '1:"{"', '1:"}"'] },
    { name: 'quoted token over two lines keeps its first line', input: 'x "a\nb" y\nz', want: ['^1:x', '1:"a\nb"', '2:y', '^3:z'] },
    { name: 'CRLF and tabs', input: 'a\tb\r\nc\r\n', want: ['^1:a', '1:b', '^2:c'] },
    { name: 'env var', input: 'prometheus localhost:{$PORT}', env: { PORT: '9153' }, want: ['^1:prometheus', '1:localhost:9153'] },
    { name: 'windows env var', input: 'x {%HOME%}/y', env: { HOME: 'C:\\u' }, want: ['^1:x', '1:C:\\u/y'] },
    { name: 'env value with spaces stays one token', input: 'x {$V} y', env: { V: 'a b  c' }, want: ['^1:x', '1:a b  c', '1:y'] },
    { name: 'env value with # or { is plain text', input: 'x {$V}', env: { V: '# {' }, want: ['^1:x', '1:# {'] },
    { name: 'missing env var is empty', input: 'x {$NOPE}', want: ['^1:x', '1:'] },
    { name: 'env in quotes', input: 'x "{$V} z"', env: { V: 'y' }, want: ['^1:x', '1:"y z"'] },
    { name: 'byte order mark', input: '\uFEFF. {}', want: ['^1:.', '1:<{>', '1:<}>'] },
  ];
  it.each(cases)('$name', ({ input, env, want }) => expect(show(input, env)).toEqual(want));

  it('fails on an unterminated quote at the line it opened', () => {
    expect(() => lex('a\nb "open\n\n', 'Corefile', {})).toThrow('Corefile:2 - Error during parsing: unterminated quoted string');
  });

  it('substituteEnv leaves text without placeholders alone', () => {
    expect(substituteEnv('{$A}-{%B%}-{$A', { A: '1', B: '2' })).toBe('1-2-{$A');
  });
});
