import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, fakeUpstream, freePort, parseDigAnswer } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, tempFiles, type Running } from './dnsmesh-process.js';

const CORE_VERSION = (JSON.parse(readFileSync(new URL('../../../packages/core/package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Fixture {
  /** The npm package name: 'dnsmesh-plugin-early', '@acme/dnsmesh-plugin-tap'. */
  pkg: string;
  directive: string;
  version?: string;
  order?: { before: string } | { after: string };
  core?: string;
}

/**
 * A plugin package as npm installs it, with no dependency (so it runs from any temp dir): it
 * writes "DIRECTIVE NAME" to seen.log (in the server's working directory) for every query it
 * sees, then passes the query on.
 */
function installFixture(dir: string, f: Fixture): void {
  const pkgDir = join(dir, 'node_modules', ...f.pkg.split('/'));
  mkdirSync(join(pkgDir, 'dist'), { recursive: true });
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({
    name: f.pkg, version: f.version ?? '1.0.0', type: 'module',
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    peerDependencies: { '@dnsmesh/core': '^0.1.0' },
  }));
  writeFileSync(join(pkgDir, 'dist', 'index.js'), `import { appendFileSync } from 'node:fs';
export default {
  name: ${JSON.stringify(f.directive)},
  order: ${JSON.stringify(f.order ?? { before: 'cache' })},
  core: ${JSON.stringify(f.core ?? '^0.1.0')},
  parse(d) { if (d.args.length > 0) throw d.args[0].fail('takes no arguments'); return {}; },
  create() {
    return {
      name: ${JSON.stringify(f.directive)},
      handle(ctx, next) { appendFileSync('seen.log', ${JSON.stringify(f.directive)} + ' ' + ctx.request.question.name + '\\n'); return next(ctx); },
    };
  },
};
`);
}

/** A temp dir with a Corefile and the fixtures installed next to it. */
function setup(corefile: string, fixtures: Fixture[] = []): string {
  const dir = tempFiles({ Corefile: corefile });
  for (const f of fixtures) installFixture(dir, f);
  return dir;
}

async function started(r: Running): Promise<Running> {
  const until = Date.now() + 10_000;
  while (!/dnsmesh-\d/.test(r.stdout)) {
    if (r.child.exitCode !== null) throw new Error(`dnsmesh exited with ${r.child.exitCode}:\n${r.stderr}`);
    if (Date.now() > until) throw new Error(`dnsmesh did not start in 10 s:\n${r.stderr}`);
    await new Promise((res) => setTimeout(res, 25));
  }
  return r;
}

/** Runs dnsmesh on a Corefile that must fail; returns its stderr. */
async function failing(dir: string): Promise<string> {
  const r = run(['-conf', 'Corefile'], dir);
  expect(await r.exited).not.toBe(0);
  return r.stderr;
}

async function upstream() {
  const up = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
  onTestFinished(() => up.close());
  return up;
}

const seen = (dir: string): string[] => {
  try {
    return readFileSync(join(dir, 'seen.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('plugins from packages', () => {
  it('fails an unknown directive naming the package it looked for and where', async () => {
    const port = await freePort();
    const dir = setup(`svc.test.:${port} {\n  bind 127.0.0.1\n  frobnicate\n}\n`);
    expect(await failing(dir)).toContain(
      `Corefile:3 - frobnicate: unknown directive 'frobnicate' (no built-in plugin, and no package dnsmesh-plugin-frobnicate found from ${dir})`,
    );
  });

  it('places loaded plugins before and after cache, whatever the line order', async () => {
    const up = await upstream();
    const port = await freePort();
    const dir = setup(`svc.test.:${port} {\n  bind 127.0.0.1\n  late\n  forward . ${up.address}\n  cache\n  early\n}\n`, [
      { pkg: 'dnsmesh-plugin-early', directive: 'early', version: '1.2.3', order: { before: 'cache' } },
      { pkg: 'dnsmesh-plugin-late', directive: 'late', version: '0.4.0', order: { after: 'cache' } },
    ]);
    const server = await started(run(['-conf', 'Corefile'], dir));
    for (let i = 0; i < 2; i++) {
      const answer = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'web.svc.test', 'A']));
      expect(answer.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    }
    // early runs before the cache and sees both queries; late, after it, sees only the miss.
    expect(seen(dir)).toEqual(['early web.svc.test', 'late web.svc.test', 'early web.svc.test']);
    expect(up.count('web.svc.test')).toBe(1);
    await server.stop();

    const listing = run(['-plugins', '-conf', 'Corefile'], dir);
    expect(await listing.exited).toBe(0);
    const lines = listing.stdout.split('\n');
    const at = (name: string) => lines.findIndex((l) => l.trim().split(/\s+/)[0] === name);
    // Right before and right after cache: only other plugin packages (found next to the server) may sit between.
    const between = (a: number, b: number) => lines.slice(a + 1, b);
    expect(at('early')).toBeLessThan(at('cache'));
    expect(at('late')).toBeGreaterThan(at('cache'));
    expect(between(at('early'), at('cache')).filter((l) => !/ from \//.test(l))).toEqual([]);
    expect(between(at('cache'), at('late')).filter((l) => !/ from \//.test(l))).toEqual([]);
    expect(lines[at('early')]).toMatch(/early\s+dnsmesh-plugin-early@1\.2\.3\s+before cache, from .*node_modules\/dnsmesh-plugin-early/);
    expect(lines[at('late')]).toMatch(/late\s+dnsmesh-plugin-late@0\.4\.0\s+after cache/);
    expect(lines[at('cache')]).toMatch(/cache\s+@dnsmesh\/cache@\d+\.\d+\.\d+\s+built-in/);
  });

  it('loads a scoped package through a `plugin DIRECTIVE PACKAGE` line', async () => {
    const up = await upstream();
    const port = await freePort();
    const fixtures = [{ pkg: '@acme/dnsmesh-plugin-tap', directive: 'tap', version: '2.0.1' }];
    const dir = setup(`svc.test.:${port} {\n  plugin tap @acme/dnsmesh-plugin-tap\n  bind 127.0.0.1\n  tap\n  forward . ${up.address}\n}\n`, fixtures);
    await started(run(['-conf', 'Corefile'], dir));
    expect(parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'web.svc.test', 'A'])).status).toBe('NOERROR');
    expect(seen(dir)).toEqual(['tap web.svc.test']);

    const listing = run(['-plugins', '-conf', 'Corefile'], dir);
    expect(await listing.exited).toBe(0);
    expect(listing.stdout).toMatch(/\n {2}tap\s+@acme\/dnsmesh-plugin-tap@2\.0\.1\s+before cache/);
  });

  it('fails a `plugin` line in the wrong place, or naming a package that is not there', async () => {
    const fixtures = [{ pkg: '@acme/dnsmesh-plugin-tap', directive: 'tap' }];
    const late = setup('svc.test.:53 {\n  bind 127.0.0.1\n  plugin tap @acme/dnsmesh-plugin-tap\n  tap\n}\n', fixtures);
    expect(await failing(late)).toContain('Corefile:3 - plugin: goes at the top of its server block, before the directives it loads');
    const missing = setup('svc.test.:53 {\n  plugin tap @acme/dnsmesh-plugin-nope\n  tap\n}\n', fixtures);
    expect(await failing(missing)).toContain(`Corefile:2 - plugin: no package @acme/dnsmesh-plugin-nope found from ${missing}`);
    const wrong = setup('svc.test.:53 {\n  plugin tapp @acme/dnsmesh-plugin-tap\n  tapp\n}\n', fixtures);
    expect(await failing(wrong)).toContain(`Corefile:2 - plugin: @acme/dnsmesh-plugin-tap@1.0.0 defines the directive 'tap', not 'tapp'`);
    const builtin = setup('svc.test.:53 {\n  plugin cache @acme/dnsmesh-plugin-tap\n}\n', fixtures);
    expect(await failing(builtin)).toContain(`Corefile:2 - plugin: 'cache' is a built-in directive; a package cannot replace it`);
  });

  it('fails a plugin made for another @dnsmesh/core, naming it and both versions', async () => {
    const port = await freePort();
    const dir = setup(`svc.test.:${port} {\n  bind 127.0.0.1\n  old\n}\n`, [
      { pkg: 'dnsmesh-plugin-old', directive: 'old', version: '3.1.0', core: '^9.0.0' },
    ]);
    const stderr = await failing(dir);
    expect(stderr).toContain(
      `Corefile:3 - old: plugin 'old' (dnsmesh-plugin-old@3.1.0) works with @dnsmesh/core ^9.0.0, but this server has @dnsmesh/core ${CORE_VERSION}`,
    );

    // -plugins still lists what it can, and says why this one is out.
    const listing = run(['-plugins', '-conf', 'Corefile'], dir);
    expect(await listing.exited).toBe(0);
    expect(listing.stdout).toMatch(/Plugin packages found but not loaded:\n {2}dnsmesh-plugin-old@3\.1\.0 \(.*\): .*works with @dnsmesh\/core \^9\.0\.0/);
  });

  it('fails a package whose directive has no place in the order', async () => {
    const dir = setup('svc.test.:53 {\n  odd\n}\n', [
      { pkg: 'dnsmesh-plugin-odd', directive: 'odd', order: { after: 'nowhere' } },
    ]);
    expect(await failing(dir)).toContain(`Corefile:2 - odd: plugin 'odd' (dnsmesh-plugin-odd@1.0.0) wants to go after 'nowhere', which is not a known directive`);
  });
});
