import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorefileError } from './errors.js';
import { loadCorefile, parseCorefile, type ParseOptions, type ServerBlockConfig } from './parser.js';

/** Each block as `keys: LOCATION:directive args; ...`, locations as file:line. */
function shape(blocks: ServerBlockConfig[]): string[] {
  return blocks.map((b) => {
    const dirs = b.directives.map((d) => {
      const props = d.hasBlock ? ` { ${d.block.map((p) => [p.name, ...p.args].map((t) => t.text).join(' ')).join('; ')} }` : '';
      return `${d.file}:${d.line}:${[d.name, ...d.args].map((t) => t.text).join(' ')}${props}`;
    });
    return `${b.keys.map((k) => k.zone).join(',')}: ${dirs.join('; ')}`;
  });
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CorefileError);
    return (err as Error).message;
  }
  return 'no error';
}

/** An in-memory file system for ParseOptions. */
function memfs(files: Record<string, string>): ParseOptions & { reads: string[] } {
  const reads: string[] = [];
  return {
    env: {},
    reads,
    readFile: (path) => {
      reads.push(path);
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return text;
    },
    listDir: (dir) => {
      const prefix = dir === '.' ? '' : `${dir}/`;
      const names = Object.keys(files).filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/'));
      if (names.length === 0) throw Object.assign(new Error(`ENOENT: no such directory '${dir}'`), { code: 'ENOENT' });
      return names.map((f) => f.slice(prefix.length)).reverse(); // unsorted on purpose
    },
  };
}

describe('snippets', () => {
  const good: { name: string; input: string; want: string[] }[] = [
    {
      name: 'pasted into two blocks, tokens keep the lines of the definition',
      input: '(common) {\n  errors\n  log\n}\nconsul.:53 {\n  import common\n  cache 30\n}\n.:53 {\n  import common\n}',
      want: ['consul.: Corefile:2:errors; Corefile:3:log; Corefile:7:cache 30', '.: Corefile:2:errors; Corefile:3:log'],
    },
    {
      name: 'pasted into a directive block as properties',
      input: '(opts) {\n  max_fails 3\n  expire 10s\n}\n. {\n  forward . 1.1.1.1 {\n    import opts\n    force_tcp\n  }\n}',
      want: ['.: Corefile:6:forward . 1.1.1.1 { max_fails 3; expire 10s; force_tcp }'],
    },
    { name: 'on one line', input: '(s) { log }\n. { import s }', want: ['.: Corefile:1:log'] },
    {
      name: 'a snippet of whole server blocks, imported at top level',
      input: '(blocks) {\n  a.org {\n    log\n  }\n  b.org {\n  }\n}\nimport blocks\nc.org {\n}',
      want: ['a.org.: Corefile:3:log', 'b.org.: ', 'c.org.: '],
    },
    {
      name: 'a snippet that imports another',
      input: '(a) {\n  log\n}\n(b) {\n  import a\n  errors\n}\n. {\n  import b\n}',
      want: ['.: Corefile:2:log; Corefile:6:errors'],
    },
    { name: 'an empty snippet', input: '(none) {\n}\n. {\n  import none\n  log\n}', want: ['.: Corefile:5:log'] },
    { name: 'a quoted "import" is a directive', input: '. {\n  "import" x\n}', want: ['.: Corefile:2:import x'] },
  ];
  it.each(good)('$name', ({ input, want }) => expect(shape(parseCorefile(input, 'Corefile', { env: {} }))).toEqual(want));

  it('gives each paste its own tokens', () => {
    const [a, b] = parseCorefile('(s) {\n  x 1\n}\na.org {\n  import s\n}\nb.org {\n  cache {\n    import s\n  }\n}', 'Corefile', { env: {} });
    const top = a!.directives[0]!.name;
    const inner = b!.directives[0]!.block[0]!.name;
    expect(top).not.toBe(inner);
    expect([top.directive, inner.directive]).toEqual(['x', 'cache']);
  });

  const bad: { name: string; input: string; want: string }[] = [
    { name: 'import without argument', input: '. {\n  import\n}', want: 'Corefile:2 - import: import takes exactly one argument (a snippet, file or glob), got 0' },
    { name: 'import with two arguments', input: '. {\n  import a b\n}', want: 'Corefile:2 - import: import takes exactly one argument (a snippet, file or glob), got 2' },
    { name: 'unknown snippet', input: '. {\n  import nope\n}', want: "Corefile:2 - import: no snippet or file named 'nope' (nope does not exist)" },
    { name: 'use before definition', input: '. {\n  import later\n}\n(later) {\n}', want: "Corefile:2 - import: no snippet or file named 'later' (later does not exist)" },
    { name: 'redefinition', input: '(s) {\n}\n\n(s) {\n}', want: 'Corefile:4 - Error during parsing: snippet (s) is already defined at Corefile:1' },
    { name: 'unclosed snippet', input: '(s) {\n  log\n', want: "Corefile:1 - Error during parsing: unclosed snippet (s): no matching '}'" },
    { name: "snippet without '{'", input: '(s)\n  log\n', want: "Corefile:1 - Error during parsing: snippet (s) must be followed by '{'" },
    { name: 'snippet importing itself', input: '(a) {\n  import a\n}\n. {\n  import a\n}', want: 'Corefile:2 - import: import cycle: Corefile -> (a) -> (a)' },
    {
      name: 'two snippets importing each other',
      input: '(a) {\n  import b\n}\n(b) {\n  import a\n}\n. {\n  import a\n}',
      want: 'Corefile:5 - import: import cycle: Corefile -> (a) -> (b) -> (a)',
    },
    {
      name: 'an error inside a snippet points at the snippet',
      input: '(s) {\n  forward . x {\n    a {\n    }\n  }\n}\n. {\n  import s\n}',
      want: 'Corefile:3 - forward: nested blocks are not supported',
    },
  ];
  it.each(bad)('$name', ({ input, want }) => expect(message(() => parseCorefile(input, 'Corefile', { env: {} }))).toBe(want));

  it('stops a runaway expansion at 10000 imports', () => {
    // s(k) pastes s(k-1) twice: 2^14 pastes, no cycle.
    let text = '(s0) {\n  log\n}\n';
    for (let k = 1; k <= 14; k++) text += `(s${k}) {\n  import s${k - 1}\n  import s${k - 1}\n}\n`;
    text += '. {\n  import s14\n}\n';
    expect(message(() => parseCorefile(text, 'Corefile', { env: {} }))).toMatch(/^Corefile:\d+ - import: more than 10000 imports; is there an import loop\?$/);
  });
});

describe('imports from an in-memory file system', () => {
  it('joins paths to the importing file’s directory, as written', () => {
    const fs = memfs({
      'conf/Corefile': '. {\n  import sub/a.conf\n}',
      'conf/sub/a.conf': '# a\nlog\nimport ../shared.conf\n',
      'conf/shared.conf': '\n\nerrors\n',
    });
    const { blocks, files } = loadCorefile('conf/Corefile', fs);
    expect(shape(blocks)).toEqual(['.: conf/sub/a.conf:2:log; conf/shared.conf:3:errors']);
    expect(files).toEqual(['conf/Corefile', 'conf/sub/a.conf', 'conf/shared.conf']);
  });

  it('sorts glob matches, and only * and ? in the last segment', () => {
    const fs = memfs({ 'd/b.conf': 'b', 'd/a.conf': 'a', 'd/c.txt': 'c', 'd/a1.conf': 'a1', 'd/ab.conf': 'ab' });
    expect(shape(parseCorefile('. {\n  import d/*.conf\n}', 'Corefile', fs))).toEqual(['.: d/a.conf:1:a; d/a1.conf:1:a1; d/ab.conf:1:ab; d/b.conf:1:b']);
    expect(shape(parseCorefile('. {\n  import d/a?.conf\n}', 'Corefile', fs))).toEqual(['.: d/a1.conf:1:a1; d/ab.conf:1:ab']);
    expect(shape(parseCorefile('. {\n  import d/*.none\n  import nodir/*\n}', 'Corefile', fs))).toEqual(['.: ']);
    expect(message(() => parseCorefile('. {\n  import */a.conf\n}', 'Corefile', fs))).toBe("Corefile:2 - import: '*/a.conf': wildcards are supported in the last path segment only");
  });

  it('reads a file once however often it is imported', () => {
    const fs = memfs({ Corefile: 'a.org {\n  import x\n}\nb.org {\n  import x\n}', x: 'log' });
    const { blocks, files } = loadCorefile('Corefile', fs);
    expect(shape(blocks)).toEqual(['a.org.: x:1:log', 'b.org.: x:1:log']);
    expect(files).toEqual(['Corefile', 'x']);
  });

  it('reports an unreadable file with the reason', () => {
    const fs: ParseOptions = { env: {}, readFile: () => { throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }); } };
    expect(message(() => parseCorefile('. {\n  import x.conf\n}', 'Corefile', fs))).toBe('Corefile:2 - import: cannot read x.conf: EACCES: permission denied');
  });
});

describe('imports from real files', () => {
  let dir: string;
  const p = (...parts: string[]): string => join(dir, ...parts);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsmesh-corefile-'));
    mkdirSync(p('conf.d'));
    mkdirSync(p('conf.d', 'sub.conf')); // a directory that matches the glob is skipped,
    symlinkSync(p('conf.d', 'sub.conf'), p('conf.d', 'zz-dir.conf')); // and so is a link to one
    writeFileSync(p('Corefile'), [
      'import snippets.conf',
      '.:1053 {',
      '  import common',
      '  import conf.d/*.conf',
      '  import conf.d/*.missing',
      '}',
    ].join('\n'));
    writeFileSync(p('snippets.conf'), '(common) {\n  errors\n}\n');
    writeFileSync(p('conf.d', '20-cache.conf'), '# cache\ncache 30 {\n  success 100\n}\n');
    writeFileSync(p('conf.d', '10-forward.conf'), '\nforward . {$UP}\n');
    writeFileSync(p('conf.d', 'readme.txt'), 'not imported\n');
    writeFileSync(p('bad.conf'), 'log\nforward . x {\n  health_check 5s {\n  }\n}\n');
    writeFileSync(p('loop-a.conf'), 'log\nimport loop-b.conf\n');
    writeFileSync(p('loop-b.conf'), '\nimport loop-a.conf\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pastes snippets files and globs, with their own file and line', () => {
    const { blocks, files } = loadCorefile(p('Corefile'), { env: { UP: '10.0.0.1 10.0.0.2' } });
    expect(shape(blocks)).toEqual([
      `.: ${p('snippets.conf')}:2:errors; ${p('conf.d', '10-forward.conf')}:2:forward . 10.0.0.1 10.0.0.2; ${p('conf.d', '20-cache.conf')}:2:cache 30 { success 100 }`,
    ]);
    expect(blocks[0]!.directives[1]!.args[1]!.text).toBe('10.0.0.1 10.0.0.2');
    expect(files).toEqual([p('Corefile'), p('snippets.conf'), p('conf.d', '10-forward.conf'), p('conf.d', '20-cache.conf')]);
  });

  it('points an error inside an imported file at that file and line', () => {
    const text = '. {\n  import bad.conf\n}';
    expect(message(() => parseCorefile(text, p('Corefile'), { env: {} }))).toBe(`${p('bad.conf')}:3 - forward: nested blocks are not supported`);
  });

  it('fails on a plain path that does not exist', () => {
    expect(message(() => parseCorefile('. {\n\n  import nope.conf\n}', p('Corefile'), { env: {} })))
      .toBe(`${p('Corefile')}:3 - import: no snippet or file named 'nope.conf' (${p('nope.conf')} does not exist)`);
  });

  it('fails on an import cycle between files, at the import that closes it', () => {
    expect(message(() => parseCorefile('. {\n  import loop-a.conf\n}', p('Corefile'), { env: {} })))
      .toBe(`${p('loop-b.conf')}:2 - import: import cycle: ${p('Corefile')} -> ${p('loop-a.conf')} -> ${p('loop-b.conf')} -> ${p('loop-a.conf')}`);
  });

  it('fails when a file imports the top Corefile', () => {
    writeFileSync(p('self.conf'), 'import Corefile\n');
    expect(message(() => parseCorefile('import self.conf', p('Corefile'), { env: {} })))
      .toBe(`${p('self.conf')}:1 - import: import cycle: ${p('Corefile')} -> ${p('self.conf')} -> ${p('Corefile')}`);
  });

  it('takes an absolute path as it is', () => {
    const blocks = parseCorefile(`import ${p('snippets.conf')}\n. {\n  import common\n}`, 'Corefile', { env: {} });
    expect(shape(blocks)).toEqual([`.: ${p('snippets.conf')}:2:errors`]);
  });

  it('lets an unreadable top file throw the fs error', () => {
    expect(() => loadCorefile(p('missing'))).toThrow(/ENOENT/);
  });
});
