// Publishing, end to end: every package packs into a working tarball, the tarballs install into an
// empty directory with no registry (npm ci --offline, from the npm cache that `npm ci` filled), and
// the installed `dnsmesh` serves a Corefile that uses the example plugin next to cache and forward.
// It builds nothing: `npm test` builds first.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dig, fakeUpstream, freePort, parseDigAnswer } from '@dnsmesh/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PLUGIN_EXAMPLE = 'examples/dnsmesh-plugin-static';

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  exports?: Record<string, { types?: string; import?: string } | string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

interface Packed {
  readonly dir: string;
  readonly pkg: PackageJson;
  readonly filename: string;
  readonly integrity: string;
  readonly files: readonly string[];
}

type LockEntry = Record<string, unknown> & { version?: string; resolved?: string; link?: boolean } & Pick<PackageJson, 'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'peerDependenciesMeta'>;

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Every publishable package under packages/ and apps/, and the example plugin (private: packed, never published). */
function packageDirs(): string[] {
  const dirs: string[] = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const file = join(ROOT, group, name, 'package.json');
      if (existsSync(file) && readJson<PackageJson>(file).private !== true) dirs.push(`${group}/${name}`);
    }
  }
  return [...dirs, PLUGIN_EXAMPLE];
}

/** npm's environment without what `npm test` set for its own run (workspace, prefix, lifecycle). */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())));
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await exec('npm', args, { cwd, env: npmEnv(), maxBuffer: 64 << 20, timeout: 90_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed: ${e.stderr || e.message}`);
  }
}

/**
 * A package-lock.json for an app that depends on the tarballs: our packages from the tarballs,
 * every third-party package they need (and what those need) as the repo's lockfile pins it, with
 * the registry URL npm cached it under. So `npm ci --offline` needs no registry and no metadata.
 */
function lockfile(packed: readonly Packed[], rootDeps: Record<string, string>, registry: string): object {
  const root = readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, 'package-lock.json')).packages;
  const ours = new Map(packed.map((p) => [p.pkg.name, p]));
  const packages: Record<string, LockEntry> = { '': { name: 'dnsmesh-pack-test', dependencies: rootDeps } };
  const queue: { from: string; deps: Record<string, string> }[] = [];
  const needs = (p: Pick<PackageJson, 'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'peerDependenciesMeta'>) => ({
    ...p.dependencies, ...p.optionalDependencies,
    ...Object.fromEntries(Object.entries(p.peerDependencies ?? {}).filter(([n]) => p.peerDependenciesMeta?.[n]?.optional !== true)),
  });
  for (const p of packed) {
    packages[`node_modules/${p.pkg.name}`] = {
      version: p.pkg.version, resolved: `file:tarballs/${p.filename}`, integrity: p.integrity, license: p.pkg.license,
      dependencies: p.pkg.dependencies, optionalDependencies: p.pkg.optionalDependencies, peerDependencies: p.pkg.peerDependencies,
      engines: p.pkg.engines, bin: p.pkg.bin, hasInstallScript: p.pkg.scripts?.install !== undefined ? true : undefined,
    };
    queue.push({ from: p.dir, deps: needs(p.pkg) });
  }
  // Where the repo's lockfile has a third-party package, seen from a location (nested first, then up).
  const locate = (from: string, name: string): string | undefined => {
    for (let loc = from; ; ) {
      const key = loc === '' ? `node_modules/${name}` : `${loc}/node_modules/${name}`;
      if (root[key] !== undefined && root[key]!.link !== true) return key;
      if (loc === '') return undefined;
      const i = loc.lastIndexOf('/node_modules/');
      loc = i < 0 ? '' : loc.slice(0, i);
    }
  };
  // A workspace location in the repo (packages/core/...) is node_modules/@dnsmesh/core/... in the app.
  const toApp = (loc: string): string => {
    for (const p of packed) if (loc.startsWith(`${p.dir}/`)) return `node_modules/${p.pkg.name}/${loc.slice(p.dir.length + 1)}`;
    return loc;
  };
  while (queue.length > 0) {
    const { from, deps } = queue.shift()!;
    for (const name of Object.keys(deps)) {
      if (ours.has(name)) continue;
      const loc = locate(from, name);
      if (loc === undefined) throw new Error(`${name} (needed from ${from || 'the root'}) is not in package-lock.json`);
      const at = toApp(loc);
      if (packages[at] !== undefined) continue;
      const { dev: _dev, devOptional: _devOptional, extraneous: _extraneous, peer: _peer, ...entry } = root[loc]!;
      const base = name.split('/').pop()!;
      packages[at] = { ...entry, resolved: entry.resolved ?? `${registry}${name}/-/${base}-${entry.version}.tgz` };
      queue.push({ from: loc, deps: needs(entry) });
    }
  }
  return { name: 'dnsmesh-pack-test', lockfileVersion: 3, requires: true, packages };
}

const work = mkdtempSync(join(tmpdir(), 'dnsmesh-pack-'));
const app = join(work, 'app');
let packed: Packed[] = [];

beforeAll(async () => {
  const tarballs = join(app, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  const dirs = packageDirs();
  // One npm call packs them all; --ignore-scripts: nothing is built here.
  const out = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...dirs.flatMap((d) => ['-w', d])], ROOT)) as
    { name: string; filename: string; integrity: string; files: { path: string }[] }[];
  packed = dirs.map((dir) => {
    const pkg = readJson<PackageJson>(join(ROOT, dir, 'package.json'));
    const result = out.find((o) => o.name === pkg.name);
    if (result === undefined) throw new Error(`npm pack gave nothing for ${pkg.name}`);
    return { dir, pkg, filename: result.filename, integrity: result.integrity, files: result.files.map((f) => f.path) };
  });
  const deps = Object.fromEntries(packed.map((p) => [p.pkg.name, `file:tarballs/${p.filename}`]));
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'dnsmesh-pack-test', private: true, dependencies: deps }, null, 2)}\n`);
  const registry = (await npm(['config', 'get', 'registry'], app)).trim().replace(/\/?$/, '/');
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lockfile(packed, deps, registry), null, 2)}\n`);
  // No registry: tarballs from the directory, third-party packages from the npm cache.
  // --ignore-scripts: an optional native addon is not compiled here (the server falls back to dgram).
  await npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the installed `node_modules/.bin/dnsmesh`; killed after the test. */
function dnsmesh(args: string[], cwd: string): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(join(app, 'node_modules', '.bin', 'dnsmesh'), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  onTestFinished(async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } });
  return { child, out: () => out, err: () => err, exited };
}

async function serving(run: ReturnType<typeof dnsmesh>): Promise<void> {
  const until = Date.now() + 10_000;
  while (!/dnsmesh-\d/.test(run.out())) {
    if (run.child.exitCode !== null) throw new Error(`dnsmesh exited with ${run.child.exitCode}:\n${run.err()}`);
    if (Date.now() > until) throw new Error(`dnsmesh did not start in 10 s:\n${run.err()}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('npm pack', () => {
  it('ships dist (JavaScript and types), README and package.json, and no tests, test helpers, sources or maps', () => {
    expect(packed.map((p) => p.pkg.name)).toEqual(expect.arrayContaining(['@dnsmesh/core', '@dnsmesh/server', '@dnsmesh/cache', '@dnsmesh/forward', '@dnsmesh/hosts', 'dnsmesh-plugin-static']));
    for (const p of packed) {
      const devOnly = p.files.filter((f) => /(^|\/)(test|tests|testing|__tests__)\/|\.test\.|test-util|\.map$|^src\/.*\.ts$|tsconfig|\.turbo/.test(f));
      expect(devOnly, p.pkg.name).toEqual([]);
      expect(p.files, p.pkg.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']));
    }
  });

  it('gives every package its registry metadata: license, repository with its directory, homepage, bugs', () => {
    for (const p of packed) {
      expect(p.pkg.license, p.pkg.name).toBe('MIT');
      expect(p.pkg.repository, p.pkg.name).toEqual({ type: 'git', url: 'git+https://github.com/dnsmesh/dnsmesh.git', directory: p.dir });
      expect(p.pkg.homepage, p.pkg.name).toBe(`https://github.com/dnsmesh/dnsmesh/tree/main/${p.dir}#readme`);
      expect(p.pkg.bugs?.url, p.pkg.name).toBe('https://github.com/dnsmesh/dnsmesh/issues');
      // A README's links must work on the registry's page: absolute, never into the repo by a relative path.
      const readme = readFileSync(join(ROOT, p.dir, 'README.md'), 'utf8');
      const relative = [...readme.matchAll(/\]\(([^)#][^)]*)\)/g)].map((m) => m[1]!).filter((href) => !/^https?:\/\//.test(href));
      expect(relative, `${p.pkg.name} README links`).toEqual([]);
      expect(readme, `${p.pkg.name} README`).not.toMatch(/\/work\/|\.\.\/shared/);
    }
  });

  it('installs into working packages: exports with types, engines, the bin, @dnsmesh/core as a peer of every plugin', async () => {
    for (const p of packed) {
      const dir = join(app, 'node_modules', ...p.pkg.name.split('/'));
      const pkg = readJson<PackageJson>(join(dir, 'package.json'));
      const root = pkg.exports?.['.'];
      expect(typeof root === 'object' && root.types !== undefined && root.import !== undefined, `${pkg.name} exports types and import`).toBe(true);
      const { types, import: entry } = root as { types: string; import: string };
      expect(existsSync(join(dir, types)) && existsSync(join(dir, entry)), `${pkg.name}: ${types} and ${entry} are in the package`).toBe(true);
      expect(pkg.engines?.node, pkg.name).toMatch(/^>=20/);
      const index = readFileSync(join(dir, entry), 'utf8');
      if (/\bdefinePlugin\(/.test(index) && pkg.name !== '@dnsmesh/core' && pkg.name !== '@dnsmesh/server') {
        expect(pkg.peerDependencies?.['@dnsmesh/core'], `${pkg.name} is a plugin: @dnsmesh/core is its peer`).toMatch(/^\^/);
      }
    }
    expect(readJson<PackageJson>(join(app, 'node_modules/@dnsmesh/server/package.json')).bin).toEqual({ dnsmesh: './bin/dnsmesh.js' });
    // Each package loads from the install alone (nothing reaches back into the repo).
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e',
      `import('@dnsmesh/core').then((m) => console.log(m.CORE_VERSION, import.meta.resolve('@dnsmesh/core')))`], { cwd: app });
    expect(stdout).toContain(relative('/', join(app, 'node_modules/@dnsmesh/core/dist/index.js')));
  });
});

describe('npm install -g of the tarballs', () => {
  it('gives a working dnsmesh on the PATH of a fresh prefix that serves a Corefile', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'dnsmesh-global-'));
    onTestFinished(() => rmSync(prefix, { recursive: true, force: true }));
    const tarballs = packed.filter((p) => p.pkg.name.startsWith('@dnsmesh/') && !['@dnsmesh/testkit', '@dnsmesh/consul-sim'].includes(p.pkg.name))
      .map((p) => `./tarballs/${p.filename}`); // ./ : a bare dir/file.tgz would be read as a GitHub shorthand
    // Third-party packages from the npm cache where it has them; their metadata may come from the registry.
    await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], app);
    const bin = join(prefix, 'bin', 'dnsmesh');
    const { stdout } = await exec(bin, ['-version']);
    expect(stdout).toMatch(/^dnsmesh-\d+\.\d+\.\d+\n/);

    const upstream = await fakeUpstream({ 'api.svc.test A': { ttl: 300, data: ['10.0.0.9'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-global-conf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'Corefile'), `svc.test.:${port} {\n    bind 127.0.0.1\n    cache\n    forward . ${upstream.address}\n}\n`);
    const child = spawn(bin, ['-conf', 'Corefile'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    onTestFinished(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } });
    await serving({ child, out: () => out, err: () => err, exited });
    const api = await parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'api.svc.test', 'A']));
    expect(api.answers.map((r) => r.data)).toEqual(['10.0.0.9']);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});

describe('the installed dnsmesh with the example plugin', () => {
  it('lists the plugin with its version and place (-plugins)', async () => {
    const listing = dnsmesh(['-plugins'], app);
    expect(await listing.exited).toBe(0);
    const version = readJson<PackageJson>(join(ROOT, PLUGIN_EXAMPLE, 'package.json')).version;
    const lines = listing.out().split('\n');
    const at = (name: string) => lines.findIndex((l) => l.trim().split(/\s+/)[0] === name);
    expect(lines[at('static')]).toMatch(new RegExp(`static\\s+dnsmesh-plugin-static@${version.replace(/\./g, '\\.')}\\s+before cache, from ${app}/node_modules/dnsmesh-plugin-static`));
    expect(at('static')).toBe(at('cache') - 1);
  });

  it('serves a Corefile using static next to cache and forward, answering dig', async () => {
    const upstream = await fakeUpstream({ 'api.svc.test A': { ttl: 300, data: ['10.0.0.9'] } }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    writeFileSync(join(app, 'Corefile'), `svc.test.:${port} {
    bind 127.0.0.1
    static {
        web.svc.test 10.0.0.7
        ttl 60
    }
    cache
    forward . ${upstream.address}
}
`);
    const server = dnsmesh(['-conf', 'Corefile'], app);
    await serving(server);
    const ask = async (name: string) => parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), name, 'A']));

    const web = await ask('web.svc.test'); // static answers, authoritative; nothing goes upstream
    expect(web.flags).toContain('aa');
    expect(web.answers.map((r) => [r.ttl, r.data])).toEqual([[60, '10.0.0.7']]);
    expect(upstream.queries).toHaveLength(0);

    for (let i = 0; i < 2; i++) { // not listed: on to cache -> forward; the repeat is a cache hit
      const api = await ask('api.svc.test');
      expect(api.answers.map((r) => r.data)).toEqual(['10.0.0.9']);
    }
    expect(upstream.count('api.svc.test')).toBe(1);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it("finds the plugin next to the server when the Corefile's directory has none", async () => {
    const upstream = await fakeUpstream({ 'api.svc.test A': { ttl: 300, data: ['10.0.0.9'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const elsewhere = mkdtempSync(join(tmpdir(), 'dnsmesh-conf-'));
    onTestFinished(() => rmSync(elsewhere, { recursive: true, force: true }));
    writeFileSync(join(elsewhere, 'Corefile'), `svc.test.:${port} {\n    bind 127.0.0.1\n    static {\n        db.svc.test 10.0.0.8\n    }\n    forward . ${upstream.address}\n}\n`);
    const server = dnsmesh(['-conf', join(elsewhere, 'Corefile')], elsewhere);
    await serving(server);
    expect((await parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'db.svc.test', 'A']))).answers.map((r) => r.data)).toEqual(['10.0.0.8']);
    expect((await parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'nope.svc.test', 'A']))).status).toBe('NXDOMAIN');
  });
});
