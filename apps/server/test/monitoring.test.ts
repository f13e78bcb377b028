// deploy/monitoring against a real Prometheus (Debian's `prometheus`, started here on loopback):
// it scrapes a real dnsmesh under a short load, loads the alert rules, and every dashboard query
// and every alert's measure (the expression left of its threshold) returns data.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

const exec = promisify(execFile);
const MONITORING = fileURLToPath(new URL('../../../deploy/monitoring/', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Dashboard { panels: { title: string; targets: { expr: string }[] }[] }
interface PromResult { status: string; data: { result: unknown[] }; error?: string }

/** The alert rules' names and expressions, read from the YAML's `alert:` / `expr:` lines. */
function alertRules(text: string): { alert: string; expr: string }[] {
  const out: { alert: string; expr: string }[] = [];
  let alert = '';
  for (const line of text.split('\n')) {
    const a = /^\s*- alert: (\S+)/.exec(line);
    if (a) alert = a[1]!;
    const e = /^\s*expr: (.+)$/.exec(line);
    if (e) out.push({ alert, expr: e[1]!.trim() });
  }
  return out;
}

/** An alert expression without its threshold: `MEASURE > N` gives MEASURE. */
function measureOf(expr: string): string {
  const m = /^(.*\S)\s*[<>]=?\s*[\d.]+$/.exec(expr);
  if (m === null) throw new Error(`alert expression without a trailing threshold: ${expr}`);
  return m[1]!;
}

describe('deploy/monitoring with a real Prometheus', () => {
  it('promtool accepts the rules and their unit tests', async () => {
    await exec('promtool', ['check', 'rules', 'dnsmesh-alerts.yml'], { cwd: MONITORING });
    const { stdout } = await exec('promtool', ['test', 'rules', 'dnsmesh-alerts.test.yml'], { cwd: MONITORING });
    expect(stdout).toContain('SUCCESS');
  });

  it('every dashboard query and every alert measure returns data from a scraped dnsmesh', async () => {
    const upstream = await fakeUpstream({
      'a.svc.test A': { ttl: 1, data: ['10.0.0.1'] },
      'b.svc.test A': { ttl: 300, data: ['10.0.0.2'] },
      'bad.svc.test A': { rcode: 'SERVFAIL' },
    });
    onTestFinished(() => upstream.close());
    const [port, prom, health, promServer] = [await freePort(), await freePort('tcp'), await freePort('tcp'), await freePort('tcp')];
    await startDnsmesh(`svc.test.:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${prom}
  health 127.0.0.1:${health}
  errors
  cache {
    success 1000 3600 1
  }
  prefetch 1 1m 50%
  serve_stale
  forward . ${upstream.address} {
    health_check 1s
  }
}
`);
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-prom-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - ${join(MONITORING, 'dnsmesh-alerts.yml')}\nscrape_configs:\n  - job_name: dnsmesh\n    static_configs:\n      - targets: ['127.0.0.1:${prom}']\n`);
    const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promServer}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d) => { log += d; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    onTestFinished(async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } });
    const api = async (path: string): Promise<PromResult> => (await (await fetch(`http://127.0.0.1:${promServer}${path}`)).json()) as PromResult;
    const instant = (expr: string) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`);

    // A short load (bounded: at most 20 s), with hits, misses, expiries and SERVFAILs, while Prometheus scrapes.
    const dns = `127.0.0.1:${port}`;
    const until = Date.now() + 20_000;
    let scrapes = 0;
    for (let i = 0; i < 2000 && Date.now() < until && scrapes < 6; i++) {
      await Promise.all(['a', 'b', 'b', 'bad'].map((n) => query(dns, `${n}.svc.test`, 'A', { timeout: 2000 }).catch(() => undefined)));
      if (i % 20 === 0) {
        const r = await instant('count_over_time(up{job="dnsmesh"}[1m])').catch(() => undefined);
        scrapes = Number((r?.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
      }
      await sleep(20);
    }
    expect(scrapes, `Prometheus scraped too little:\n${log}`).toBeGreaterThanOrEqual(4);

    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
    for (const rule of alertRules(readFileSync(join(MONITORING, 'dnsmesh-alerts.yml'), 'utf8'))) exprs.push({ where: `alert ${rule.alert}`, expr: measureOf(rule.expr) });
    expect(exprs.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const { where, expr } of exprs) {
      const q = expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*');
      const r = await instant(q);
      expect(r.status, `${where}: ${q}: ${r.error}`).toBe('success');
      if (r.data.result.length === 0) empty.push(`${where}: ${q}`);
    }
    expect(empty).toEqual([]);

    // The rules load and evaluate without error.
    const rules = (await api('/api/v1/rules')) as unknown as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(alertRules(readFileSync(join(MONITORING, 'dnsmesh-alerts.yml'), 'utf8')).map((r) => r.alert).sort());
    expect(loaded.filter((r) => r.health === 'err')).toEqual([]);
  }, 40_000);
});
