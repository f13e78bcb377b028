// deploy/systemd: the unit as systemd itself reads it (systemd-analyze verify and security, on the
// shipped file with only the binary's path pointed at this repo's build), its check command on the
// shipped Corefile, and a run of dnsmesh with the unit's credentials (a non-root user holding
// CAP_NET_BIND_SERVICE alone, ambient, no new privileges) under strace: every system call it makes
// is one SystemCallFilter= allows, every socket one RestrictAddressFamilies= allows.
// Needs systemd-analyze (systemd), strace, setpriv/unshare/nsenter (util-linux), ip (iproute2), dig.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { asUser, netns } from './netns.js';
import { allowedBy } from './syscall-filter.js';
import { parseUnit, values } from './unit-file.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UNIT_TEXT = readFileSync(join(ROOT, 'deploy/systemd/dnsmesh.service'), 'utf8');
const UNIT = parseUnit(UNIT_TEXT);
const BIN = '/usr/local/bin/dnsmesh';
const CONF = '/etc/dnsmesh/Corefile';
const BUILT = join(ROOT, 'apps/server/bin/dnsmesh.js'); // what `npm install -g` links as BIN
const work = mkdtempSync(join(tmpdir(), 'dnsmesh-systemd-'));
chmodSync(work, 0o755); // the service's user reads the Corefile copy from here
afterAll(() => rmSync(work, { recursive: true, force: true }));

const one = (key: string) => { const v = values(UNIT, 'Service', key); expect(v, key).toHaveLength(1); return v[0]!; };

/** The unit as shipped, its binary pointed at this repo's build (verify checks that it exists). */
function localUnit(text = UNIT_TEXT): string {
  const dir = mkdtempSync(join(work, 'unit-'));
  const file = join(dir, 'dnsmesh.service');
  writeFileSync(file, text.replaceAll(BIN, BUILT));
  return file;
}

async function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('systemd-analyze', args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('systemd-analyze', () => {
  it('verify: the unit loads with no error and no warning', async () => {
    const result = await analyze(['verify', localUnit()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('verify sees the content: a misspelt key or a missing binary is reported', async () => {
    const typo = await analyze(['verify', localUnit(UNIT_TEXT.replace('DynamicUser=yes', 'DynamicUsr=yes'))]);
    expect(typo.stderr).toMatch(/Unknown key 'DynamicUsr'/);
    const missing = await analyze(['verify', localUnit(UNIT_TEXT.replaceAll(BIN, '/nonexistent/dnsmesh'))]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/\/nonexistent\/dnsmesh is not executable/);
  });

  it('security: overall exposure at most 2.0 ("OK"; an unhardened service scores about 9)', async () => {
    const result = await analyze(['security', '--offline=yes', '--no-pager', localUnit()]);
    const score = Number(/Overall exposure level for dnsmesh\.service: ([\d.]+)/.exec(result.stdout)?.[1]);
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

describe('the unit', () => {
  it('is hardened as the README says, and leaves MemoryDenyWriteExecute off for V8', () => {
    expect(one('DynamicUser')).toBe('yes');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('RestrictAddressFamilies').split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    expect(values(UNIT, 'Service', 'SystemCallFilter')).toEqual(['@system-service @pkey', '~@privileged @resources']);
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    expect(one('Restart')).toBe('on-failure');
    expect(one('Type')).toBe('exec');
    expect(one('ConfigurationDirectory')).toBe('dnsmesh');
    expect(values(UNIT, 'Service', 'MemoryDenyWriteExecute')).toEqual([]);
    expect(UNIT_TEXT).toMatch(/# MemoryDenyWriteExecute= is NOT set[^\n]*V8/);
    expect(one('ExecStart')).toBe(`${BIN} -conf ${CONF}`);
    expect(one('ExecStartPre')).toBe(`${BIN} -conf ${CONF} -check`);
    expect(values(UNIT, 'Service', 'ExecReload')).toEqual([`${BIN} -conf ${CONF} -check`, '/bin/kill -HUP $MAINPID']);
    expect(values(UNIT, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('would kill Node with MemoryDenyWriteExecute: under the same refusal (the kernel PR_SET_MDWE) V8 aborts', async () => {
    // python3 sets PR_SET_MDWE (65) to PR_MDWE_REFUSE_EXEC_GAIN (1), which stays across exec, then runs node.
    const mdwe = 'import ctypes, os, sys\nif ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0: sys.exit(99)\nos.execvp(sys.argv[1], sys.argv[1:])';
    const run = (args: string[]) => exec('python3', ['-c', mdwe, ...args]).then(() => ({ code: 0, stderr: '' }), (e: { code: number | null; signal?: string; stderr: string }) => ({ code: e.code ?? e.signal, stderr: e.stderr }));
    expect(await run(['true'])).toEqual({ code: 0, stderr: '' }); // the refusal itself lets a plain program run
    const node = await run([process.execPath, '-e', 'console.log(1)']);
    expect(node.code).not.toBe(0);
    expect(node.stderr).toMatch(/SetPermissions|Check failed/);
  });

  it("ExecStartPre's check passes on the shipped Corefile and fails on a broken one, with FILE:LINE", async () => {
    const run = async (conf: string) => {
      const [cmd, ...args] = one('ExecStartPre').replace(BIN, BUILT).replace(CONF, conf).split(' ');
      try { return { code: 0, ...(await exec(cmd!, args)) }; } catch (e) { return e as { code: number; stdout: string; stderr: string }; }
    };
    const good = await run(join(ROOT, 'deploy/systemd/Corefile'));
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/Corefile: OK \(2 server blocks: consul\.:53, \.:53\)/);
    const broken = join(work, 'Corefile.broken');
    writeFileSync(broken, readFileSync(join(ROOT, 'deploy/systemd/Corefile'), 'utf8').replace('forward . 127.0.0.1:8600', 'forward . consul.local'));
    const bad = await run(broken);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Corefile\.broken:\d+ - forward: /);
  });
});

describe("dnsmesh with the unit's credentials, under strace", () => {
  it('serves the shipped Corefile on port 53 as a non-root user with CAP_NET_BIND_SERVICE only; every system call and socket family is one the unit allows', async () => {
    // The shipped Corefile as is: in a network namespace of its own, its ports (53, 8080, 8181,
    // 9153) are free, and the Consul agent it names (127.0.0.1:8600) is a fake upstream.
    const ns = await netns();
    onTestFinished(() => ns.close());
    const upstream = ns.start('node', [join(ROOT, 'deploy/test/upstream.mjs'), '8600', JSON.stringify({
      'web.service.consul A': { ttl: 0, data: ['10.0.0.5'] }, 'example.org A': { ttl: 300, data: ['192.0.2.1'] },
    })]);
    onTestFinished(async () => { await upstream.stop(); });
    await upstream.waitFor(/listening 8600/);

    // The service user must reach the binary, as it does under /usr/lib/node_modules. A checkout in
    // a directory only root may enter (`git clone . "$(mktemp -d)"`) gets search permission for
    // others on those directories for the test's length, and its modes back afterwards.
    for (let dir = dirname(BUILT); ; dir = dirname(dir)) {
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, mode | 0o001);
        onTestFinished(() => chmodSync(dir, mode));
      }
      if (dir === dirname(dir)) break;
    }
    const conf = join(work, 'Corefile');
    writeFileSync(conf, readFileSync(join(ROOT, 'deploy/systemd/Corefile')));
    chmodSync(conf, 0o644);
    const own = join(work, 'service'); // the service user's own directory, for strace's output
    mkdirSync(own);
    chownSync(own, 61053, 61053);
    const trace = join(own, 'trace');
    // setpriv does what systemd does before exec (DynamicUser, AmbientCapabilities,
    // CapabilityBoundingSet, NoNewPrivileges); strace runs as that user too and traces dnsmesh
    // from its exec on, two worker processes included.
    const server = ns.start(asUser(61053, ['net_bind_service'])[0]!, [...asUser(61053, ['net_bind_service']).slice(1),
      'strace', '-f', '-qq', '-o', trace, BUILT, '-conf', conf, '-workers', '2'], { cwd: work });
    onTestFinished(async () => { await server.stop('SIGKILL'); });
    await server.waitFor(/^dnsmesh-\d/m, 30_000);

    const dig = async (args: string[]) => (await ns.run('dig', ['+time=3', '+tries=1', '@127.0.0.1', '-p', '53', ...args])).stdout;
    expect(await dig(['web.service.consul', 'A'])).toMatch(/status: NOERROR[\s\S]*web\.service\.consul\.\s+5\s+IN\s+A\s+10\.0\.0\.5/);
    expect(await dig(['+tcp', 'example.org', 'A'])).toMatch(/status: NOERROR[\s\S]*example\.org\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
    const http = async (url: string) => (await ns.run('node', ['-e', `fetch('${url}').then(async (r) => console.log(r.status, await r.text()))`])).stdout;
    expect(await http('http://127.0.0.1:8080/health')).toMatch(/^200 OK/);
    expect(await http('http://127.0.0.1:8181/ready')).toMatch(/^200 OK/);
    expect(await http('http://127.0.0.1:9153/metrics')).toMatch(/dnsmesh_dns_requests_total/);

    // systemctl reload (SIGHUP) and stop (SIGTERM), to the main process: strace's child.
    const { stdout: pids } = await exec('pgrep', ['-P', String(server.child.pid)]);
    const main = Number(pids.trim().split('\n')[0]);
    process.kill(main, 'SIGHUP');
    await server.waitFor(/"msg":"reloaded"/, 15_000);
    expect(await dig(['web.service.consul', 'A'])).toMatch(/status: NOERROR/);
    process.kill(main, 'SIGTERM');
    expect(await server.exited).toBe(0);

    const lines = readFileSync(trace, 'utf8').split('\n');
    const used = new Set(lines.map((l) => /^\d+\s+([a-z0-9_]+)\(/.exec(l)?.[1]).filter((s): s is string => s !== undefined));
    expect(used.has('bind') && (used.has('recvmsg') || used.has('recvmmsg'))).toBe(true); // the trace saw the serving
    const allowed = allowedBy(values(UNIT, 'Service', 'SystemCallFilter'));
    expect([...used].filter((s) => !allowed.has(s)).sort()).toEqual([]);
    const families = new Set(lines.flatMap((l) => /^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)/.exec(l)?.[1] ?? []));
    expect(families.has('AF_INET')).toBe(true);
    expect([...families].filter((f) => !one('RestrictAddressFamilies').split(' ').includes(f))).toEqual([]);
  }, 60_000);
});
