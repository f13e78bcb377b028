// deploy/docker, without a Docker engine (none here): the Dockerfile checked by dockerfile-utils
// (the Docker language server's linter) and read for what the image promises (stages, pinned
// images, a non-root USER, HEALTHCHECK, CMD, EXPOSE); then the image made by hand the way the
// Dockerfile makes it: the build context cut by .dockerignore, the build stage's own script
// (deploy/docker/build.sh) run in it, the runtime stage's files put at their paths, and the CMD
// started as the image's USER with no capabilities in a network namespace of its own with
// Docker's default net.ipv4.ip_unprivileged_port_start=0: it must answer dig on port 53, and the
// HEALTHCHECK command must pass, and fail once dnsmesh is gone.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { execForm, parseDockerfile, type Stage } from './dockerfile.js';
import { asUser, netns } from './netns.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEXT = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
const STAGES = parseDockerfile(TEXT);
const RUNTIME = STAGES.at(-1)!; // `docker build` without --target builds the last stage
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

describe('the Dockerfile', () => {
  it('passes dockerfile-utils, which does flag a broken one', () => {
    expect(validate(TEXT)).toEqual([]);
    expect(validate('FROM node:20-bookworm-slim\nHEALTHCHECK --interval=abc CMD true\n').map((d) => d.message)).toEqual(['time: invalid duration abc']);
  });

  it('has a build stage on node:20 with a C toolchain, and a runtime stage last; every image pinned, none "latest"', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['build', 'node-local-interface', 'runtime']);
    for (const s of STAGES) expect(s.image, s.name).toMatch(/^[a-z0-9./-]+:(?!latest$)[\w.-]+$/);
    expect(STAGES[0]!.image).toBe('node:20-bookworm-slim');
    expect(RUNTIME.image).toBe('node:20-bookworm-slim');
    expect(all(STAGES[0]!, 'RUN').join('\n')).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    expect(all(STAGES[0]!, 'RUN')).toContain('sh deploy/docker/build.sh /opt/dnsmesh');
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on /health by node itself, the CMD, and its ports', () => {
    const user = last(RUNTIME, 'USER')!;
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const health = last(RUNTIME, 'HEALTHCHECK')!;
    const flags = RUNTIME.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.flags;
    expect(flags.map((f) => f.split('=')[0])).toEqual(expect.arrayContaining(['--interval', '--timeout', '--retries']));
    expect(execForm(health).slice(0, 2)).toEqual(['node', '-e']);
    expect(execForm(health)[2]).toContain('http://127.0.0.1:8080/health');
    expect(execForm(last(RUNTIME, 'CMD')!)).toEqual(['dnsmesh', '-conf', '/etc/dnsmesh/Corefile']);
    expect(last(RUNTIME, 'EXPOSE')!.split(/\s+/).sort()).toEqual(['53/tcp', '53/udp', '8080', '8181', '9153']);
    expect(RUNTIME.instructions.filter((i) => i.keyword === 'COPY').map((i) => [...i.flags, i.args].join(' ')))
      .toEqual(['--from=build /opt/dnsmesh /opt/dnsmesh', 'deploy/docker/Corefile /etc/dnsmesh/Corefile']);
  });
});

// ---- the image, made without Docker -------------------------------------------------------------

/** .dockerignore as Docker reads the forms it uses: NAME / PATH from the context root, **\/GLOB at any depth. */
function dockerignore(): (rel: string) => boolean {
  const toRe = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((p) => {
    if (p.startsWith('!') || /\*\*(?!\/)|\/\*\*|\?|\[/.test(p.replace(/^\*\*\//, ''))) throw new Error(`.dockerignore form the test does not read: ${p}`);
    if (p.startsWith('**/')) { const re = toRe(p.slice(3)); return (rel: string) => rel.split('/').some((seg) => re.test(seg)); }
    const re = toRe(p);
    return (rel: string) => rel.split('/').some((_, i, segs) => re.test(segs.slice(0, i + 1).join('/')));
  });
  return (rel) => rel !== '' && rules.some((r) => r(rel));
}

/** npm's environment without what `npm test` set for its own run. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase()))), ...extra };
}

let work = ''; // made by the image tests' beforeAll
const context = () => join(work, 'src');
/** Where a path of the runtime stage's file system is here, where it differs from this one. */
const at = (path: string) => join(work, 'image', path);
let buildLog = '';

/** An image path in a command line, as this machine has it. */
const mapped = (word: string) => word.replace(/^\/(opt\/dnsmesh|etc\/dnsmesh)/, (m) => at(m));

describe('the image, built by the Dockerfile\'s steps', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dnsmesh-image-'));
    chmodSync(work, 0o755); // the image's user reads its files from here
    const ignored = dockerignore();
    cpSync(ROOT, context(), { recursive: true, verbatimSymlinks: true, filter: (src) => !ignored(relative(ROOT, src)) });
    // COPY --from=build /opt/dnsmesh /opt/dnsmesh: the build stage installs straight to its place.
    const { stdout, stderr } = await exec('sh', ['deploy/docker/build.sh', at('/opt/dnsmesh')], {
      cwd: context(), timeout: 290_000, maxBuffer: 64 << 20,
      env: cleanEnv({ npm_config_prefer_offline: 'true', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }),
    });
    buildLog = stdout + stderr;
    // COPY deploy/docker/Corefile /etc/dnsmesh/Corefile
    mkdirSync(at('/etc/dnsmesh'), { recursive: true });
    cpSync(join(context(), 'deploy/docker/Corefile'), at('/etc/dnsmesh/Corefile'));
  }, 300_000);

  // A repo copy with its node_modules and a whole install: rm(1) is faster at it than fs.rm.
  afterAll(() => exec('rm', ['-rf', work]).then(() => undefined), 300_000);

  it('left nothing of the build machine in the context, and installed dnsmesh with its UDP addon into /opt/dnsmesh', () => {
    expect(existsSync(join(context(), 'node_modules/.package-lock.json'))).toBe(true); // npm ci ran in the context
    expect(existsSync(join(context(), '.git'))).toBe(false);
    expect(buildLog).toMatch(/^dnsmesh-\d+\.\d+\.\d+$/m);
    expect(existsSync(at('/opt/dnsmesh/lib/node_modules/@dnsmesh/udp-batch/build/Release/udp_batch.node'))).toBe(true);
    expect(existsSync(at('/opt/dnsmesh/lib/node_modules/@dnsmesh/testkit'))).toBe(false);
  });

  it("runs its CMD as its USER with no capability: dig gets answers on port 53, HEALTHCHECK passes, then fails once dnsmesh stops", async () => {
    const ns = await netns({ unprivilegedPorts: true }); // as Docker sets up a container's network
    onTestFinished(() => ns.close());
    const upstream = ns.start('node', [join(ROOT, 'deploy/test/upstream.mjs'), '5300', JSON.stringify({ 'example.org A': { ttl: 300, data: ['192.0.2.1'] } })]);
    onTestFinished(async () => { await upstream.stop(); });
    await upstream.waitFor(/listening 5300/);

    const uid = Number(last(RUNTIME, 'USER')!.split(':')[0]);
    const path = /PATH=(\S+)/.exec(last(RUNTIME, 'ENV')!)![1]!.split(':').map((p) => (p === '$PATH' ? process.env.PATH! : mapped(p))).join(':');
    const env = { PATH: path, NODE_ENV: 'production', DNSMESH_UPSTREAM: '127.0.0.1:5300' };
    const cmd = execForm(last(RUNTIME, 'CMD')!).map(mapped);
    const asImageUser = asUser(uid).slice(1); // setpriv's arguments
    const server = ns.start('setpriv', [...asImageUser, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...cmd], { cwd: at(last(RUNTIME, 'WORKDIR')!) });
    onTestFinished(async () => { await server.stop('SIGKILL'); });
    await server.waitFor(/^dnsmesh-\d/m, 20_000);
    expect(server.out() + server.err()).toMatch(/UDP: batched transport/);

    for (const transport of ['+notcp', '+tcp']) {
      const { stdout } = await ns.run('dig', ['+time=3', '+tries=1', transport, '@127.0.0.1', '-p', '53', 'example.org', 'A']);
      expect(stdout).toMatch(/status: NOERROR[\s\S]*example\.org\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
    }
    const healthcheck = execForm(last(RUNTIME, 'HEALTHCHECK')!);
    const probe = () => ns.run('setpriv', [...asImageUser, 'env', '-i', `PATH=${path}`, ...healthcheck], { allowFail: true, timeout: 10_000 });
    expect((await probe()).code).toBe(0);

    expect(await server.stop('SIGTERM')).toBe(0); // docker stop
    expect((await probe()).code).toBe(1);
  }, 60_000);

  it('stops at start with FILE:LINE when no upstream is given, as its Corefile says', async () => {
    const { code, stderr } = await exec(at('/opt/dnsmesh/bin/dnsmesh'), ['-conf', at('/etc/dnsmesh/Corefile'), '-check'], { env: { PATH: process.env.PATH } }).then(
      (r) => ({ code: 0, stderr: r.stderr }), (e: { code: number; stderr: string }) => e);
    expect(code).toBe(1);
    expect(stderr).toMatch(/Corefile:\d+ - forward: '' is not an IP address/);
  });
});
