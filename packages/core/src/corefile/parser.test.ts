import { describe, it, expect } from 'vitest';
import { CorefileError } from './errors.js';
import { parseCorefile, type ServerBlockConfig } from './parser.js';
import type { Token } from './token.js';

const show = (t: Token): string => (t.quoted ? JSON.stringify(t.text) : t.text);

/** A block as plain strings: `zone:port` keys, and `LINE:name args { prop args; ... }` directives. */
function shape(blocks: ServerBlockConfig[]): { at: string; keys: string[]; directives: string[] }[] {
  return blocks.map((b) => ({
    at: `${b.file}:${b.line}`,
    keys: b.keys.map((k) => (k.port === undefined ? k.zone : `${k.zone}:${k.port}`)),
    directives: b.directives.map((d) => {
      const head = `${d.line}:${[d.name, ...d.args].map(show).join(' ')}`;
      if (!d.hasBlock) return head;
      return `${head} { ${d.block.map((p) => [p.name, ...p.args].map(show).join(' ')).join('; ')} }`;
    }),
  }));
}

describe('parseCorefile: good input', () => {
  const cases: { name: string; input: string; env?: Record<string, string>; want: ReturnType<typeof shape> }[] = [
    { name: 'empty file', input: '', want: [] },
    { name: 'comments only', input: '# nothing\n\n  # here\n', want: [] },
    { name: 'empty block', input: '. {}', want: [{ at: 'Corefile:1', keys: ['.'], directives: [] }] },
    {
      name: 'the Kubernetes default',
      input: `.:53 {
    errors
    health {
      lameduck 5s
    }
    ready
    prometheus :9153
    forward . /etc/resolv.conf {
      max_concurrent 1000
    }
    cache 30
    reload
}`,
      want: [{
        at: 'Corefile:1',
        keys: ['.:53'],
        directives: ['2:errors', '3:health { lameduck 5s }', '6:ready', '7:prometheus :9153', '8:forward . /etc/resolv.conf { max_concurrent 1000 }', '11:cache 30', '12:reload'],
      }],
    },
    {
      name: 'several blocks, keys by spaces and commas',
      input: 'consul.:1053 example.org,example.net:1054 {\n log\n}\n\n:1053 {\n  cache\n}\n',
      want: [
        { at: 'Corefile:1', keys: ['consul.:1053', 'example.org.', 'example.net.:1054'], directives: ['2:log'] },
        { at: 'Corefile:5', keys: ['.:1053'], directives: ['6:cache'] },
      ],
    },
    {
      name: 'a trailing comma carries the keys to the next line',
      input: 'a.org,\n  b.org {\n}',
      want: [{ at: 'Corefile:1', keys: ['a.org.', 'b.org.'], directives: [] }],
    },
    {
      name: 'the same zone on two ports',
      input: 'example.org:53 {}\nexample.org:54 {}\nexample.org {}',
      want: [
        { at: 'Corefile:1', keys: ['example.org.:53'], directives: [] },
        { at: 'Corefile:2', keys: ['example.org.:54'], directives: [] },
        { at: 'Corefile:3', keys: ['example.org.'], directives: [] },
      ],
    },
    {
      name: 'everything on one line',
      input: '. { log } example.org { cache 30 { success 10 } forward . 1.1.1.1 }',
      want: [
        { at: 'Corefile:1', keys: ['.'], directives: ['1:log'] },
        { at: 'Corefile:1', keys: ['example.org.'], directives: ['1:cache 30 { success 10 }', '1:forward . 1.1.1.1'] },
      ],
    },
    {
      name: "the block's '{' on the line after the keys",
      input: 'example.org\n{\n  log\n}',
      want: [{ at: 'Corefile:1', keys: ['example.org.'], directives: ['3:log'] }],
    },
    {
      name: 'a file without braces is one block',
      input: 'example.org:1053\nlog\ncache 30 {\n  success 10\n}\n',
      want: [{ at: 'Corefile:1', keys: ['example.org.:1053'], directives: ['2:log', '3:cache 30 { success 10 }'] }],
    },
    { name: 'only a key', input: ':1053', want: [{ at: 'Corefile:1', keys: ['.:1053'], directives: [] }] },
    {
      name: 'comments, quotes and an empty directive block',
      input: `# top
. { # after the brace
  log   # after a directive
  forward . "1.1.1.1 # not a comment" {
    # a comment line inside a block
    policy "round robin"   # after a property
  }
  consul {}
  errors "" "say \\"hi\\""
}`,
      want: [{
        at: 'Corefile:2',
        keys: ['.'],
        directives: ['3:log', '4:forward . "1.1.1.1 # not a comment" { policy "round robin" }', '8:consul {  }', '9:errors "" "say \\"hi\\""'],
      }],
    },
    {
      name: 'environment variables, a value with spaces staying one token',
      input: '{$ZONE}:{$PORT} {\n  forward . {$UPSTREAMS}\n  prometheus localhost:{%MPORT%}\n  log {$MISSING}\n}',
      env: { ZONE: 'consul', PORT: '1053', UPSTREAMS: '10.0.0.1 10.0.0.2', MPORT: '9153' },
      want: [{ at: 'Corefile:1', keys: ['consul.:1053'], directives: ['2:forward . 10.0.0.1 10.0.0.2', '3:prometheus localhost:9153', '4:log '] }],
    },
    {
      name: 'CIDR and dns:// keys',
      input: '10.0.0.0/24 dns://192.168.0.0/16:1053 fd00::/8 {\n}',
      want: [{ at: 'Corefile:1', keys: ['0.0.10.in-addr.arpa.', '168.192.in-addr.arpa.:1053', 'd.f.ip6.arpa.'], directives: [] }],
    },
  ];
  it.each(cases)('$name', ({ input, env, want }) => {
    expect(shape(parseCorefile(input, 'Corefile', { env: env ?? {} }))).toEqual(want);
  });

  it('a value with spaces from the environment is one argument', () => {
    const [block] = parseCorefile('. {\n  forward . {$UP}\n}', 'Corefile', { env: { UP: '1.1.1.1 8.8.8.8' } });
    expect(block!.directives[0]!.args.map((t) => t.text)).toEqual(['.', '1.1.1.1 8.8.8.8']);
  });

  it('uses process.env by default', () => {
    process.env['DNSMESH_TEST_ZONE'] = 'from-env.org';
    try {
      expect(parseCorefile('{$DNSMESH_TEST_ZONE} {}', 'Corefile')[0]!.keys[0]!.zone).toBe('from-env.org.');
    } finally {
      delete process.env['DNSMESH_TEST_ZONE'];
    }
  });

  it('sets each token’s directive, the server zones and the block flag', () => {
    const [block] = parseCorefile('a.org b.org:53 A.org:54 {\n cache 30 {\n  success 10\n }\n log\n}', 'Corefile', { env: {} });
    const [cache, log] = block!.directives;
    expect(block!.keys.map((k) => k.text)).toEqual(['a.org', 'b.org:53', 'A.org:54']);
    expect(cache!.serverZones).toEqual(['a.org.', 'b.org.']);
    expect([cache!.name, ...cache!.args, cache!.block[0]!.name, ...cache!.block[0]!.args].map((t) => t.directive)).toEqual(['cache', 'cache', 'cache', 'cache']);
    expect({ hasBlock: log!.hasBlock, block: log!.block, file: log!.file, line: log!.line }).toEqual({ hasBlock: false, block: [], file: 'Corefile', line: 5 });
  });
});

describe('parseCorefile: bad input', () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'unclosed server block', input: '. {\n  log\n\n', want: "Corefile:1 - Error during parsing: unclosed '{': no matching '}'" },
    {
      name: 'unclosed directive block',
      input: '. {\n  log\n  forward . 1.1.1.1 {\n    max_fails 3\n',
      want: "Corefile:3 - forward: unclosed '{': no matching '}'",
    },
    { name: "stray '}'", input: '. {\n  log\n}\n}\n', want: "Corefile:4 - Error during parsing: unexpected '}' (no matching '{')" },
    { name: "stray '}' first", input: '}', want: "Corefile:1 - Error during parsing: unexpected '}' (no matching '{')" },
    { name: "'{' with no key", input: '# x\n{\n  log\n}', want: "Corefile:2 - Error during parsing: '{' without a server block key before it" },
    {
      name: "'{' on its own line inside a block",
      input: '. {\n  log\n  {\n  }\n}',
      want: "Corefile:3 - Error during parsing: unexpected '{': a block opens on the same line as its directive",
    },
    {
      name: 'a nested block after a property',
      input: '. {\n  forward . 1.1.1.1 {\n    health_check 5s {\n      x\n    }\n  }\n}',
      want: 'Corefile:3 - forward: nested blocks are not supported',
    },
    {
      name: 'a nested block on its own line',
      input: '. {\n  cache {\n    success 10\n    {\n    }\n  }\n}',
      want: 'Corefile:4 - cache: nested blocks are not supported',
    },
    {
      name: 'duplicate zone and port across blocks',
      input: 'example.org:53 {\n}\n\nexample.net Example.ORG.:53 {\n}',
      want: "Corefile:4 - Error during parsing: zone example.org. on port 53 is defined twice: 'Example.ORG.:53' here and 'example.org:53' at Corefile:1",
    },
    {
      name: 'duplicate zone without port',
      input: '. {\n}\ndns://. {\n}',
      want: "Corefile:3 - Error during parsing: zone . on the default port is defined twice: 'dns://.' here and '.' at Corefile:1",
    },
    {
      name: 'duplicate inside one block',
      input: 'a.org,a.org {}',
      want: "Corefile:1 - Error during parsing: zone a.org. on the default port is defined twice: 'a.org' here and 'a.org' at Corefile:1",
    },
    { name: 'port too big', input: '.:65536 {\n}', want: "Corefile:1 - Error during parsing: server block key '.:65536': port 65536 is not between 0 and 65535" },
    { name: 'port not a number', input: 'a.org:x {\n}', want: "Corefile:1 - Error during parsing: server block key 'a.org:x': bad port 'x'" },
    { name: 'quic:// key', input: '. {\n}\nquic://.:853 {\n}', want: "Corefile:3 - Error during parsing: server block key 'quic://.:853': quic:// is not supported (dns://, tls:// or https://)" },
    { name: 'empty quoted key', input: '"" {\n}', want: "Corefile:1 - Error during parsing: empty server block key in ''" },
    { name: 'key from a missing variable', input: '{$NOPE} {\n}', want: "Corefile:1 - Error during parsing: empty server block key in ''" },
    { name: 'a trailing comma and no key', input: 'a.org, {\n}', want: "Corefile:1 - Error during parsing: expected another server block key after ','" },
    {
      name: 'a second block without braces',
      input: '. {\n}\nexample.org\n  log\n',
      want: "Corefile:3 - Error during parsing: expected '{' after the server block keys, got 'log'",
    },
    { name: 'a bad zone', input: 'exa_mple..org {\n}', want: "Corefile:1 - Error during parsing: server block key 'exa_mple..org': zone 'exa_mple..org' has an empty label" },
    { name: 'a non-octet CIDR', input: '10.0.0.0/20 {\n}', want: "Corefile:1 - Error during parsing: server block key '10.0.0.0/20': CIDR '10.0.0.0/20': the prefix length must be a multiple of 8 (classless reverse zones are not supported)" },
    { name: 'unterminated quote', input: '. {\n  log "abc\n}\n', want: 'Corefile:2 - Error during parsing: unterminated quoted string' },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    let caught: unknown;
    try {
      parseCorefile(input, 'Corefile', { env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CorefileError);
    expect((caught as Error).message).toBe(want);
  });

  it('keeps the path as given and the fields apart', () => {
    try {
      parseCorefile('. {\n  cache {\n    a {\n', './conf/Corefile', { env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: 'CorefileError', file: './conf/Corefile', line: 3, directive: 'cache', detail: 'nested blocks are not supported' });
    }
  });
});

describe('expectArgs', () => {
  const [block] = parseCorefile('. {\n  cache\n  forward . a b {\n    success\n    expire 5s 10s\n  }\n}', 'Corefile', { env: {} });
  const [cache, forward] = block!.directives;
  const success = forward!.block[0]!;
  const expire = forward!.block[1]!;
  const cases: [string, () => unknown, string][] = [
    ['directive, range', () => cache!.expectArgs(1, 3), 'Corefile:2 - cache: takes 1 to 3 arguments, got 0'],
    ['directive, exactly 1', () => cache!.expectArgs(1, 1), 'Corefile:2 - cache: takes exactly 1 argument, got 0'],
    ['directive, none', () => forward!.expectArgs(0, 0), 'Corefile:3 - forward: takes no arguments, got 3'],
    ['directive, at least', () => forward!.expectArgs(4), 'Corefile:3 - forward: takes at least 4 arguments, got 3'],
    ['directive, at most', () => forward!.expectArgs(0, 2), 'Corefile:3 - forward: takes at most 2 arguments, got 3'],
    ['property, range', () => success.expectArgs(1, 3), 'Corefile:4 - forward: success takes 1 to 3 arguments, got 0'],
    ['property, exactly 1', () => expire.expectArgs(1, 1), 'Corefile:5 - forward: expire takes exactly 1 argument, got 2'],
    ['property, exactly 2', () => success.expectArgs(2, 2), 'Corefile:4 - forward: success takes exactly 2 arguments, got 0'],
    ['directive fail', () => { throw forward!.fail('boom'); }, 'Corefile:3 - forward: boom'],
    ['property fail', () => { throw expire.fail('boom'); }, 'Corefile:5 - forward: boom'],
  ];
  it.each(cases)('%s', (_, fn, want) => {
    let message = '';
    try {
      fn();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(want);
  });

  it('returns the args when the count fits', () => {
    expect(forward!.expectArgs(1).map((t) => t.text)).toEqual(['.', 'a', 'b']);
    expect(expire.expectArgs(1, 2).map((t) => t.duration())).toEqual([5000, 10_000]);
    expect(cache!.expectArgs(0, 0)).toEqual([]);
  });
});
