// deploy/kubernetes: every manifest parses (yaml) and passes the Kubernetes API's JSON schema
// (kubernetes-models: the OpenAPI schemas compiled, offline); the DaemonSet is shaped as
// node-local-dns is deployed; the ConfigMap's Corefile loads (-check) with the DaemonSet's
// environment; and the node-local setup runs for real in a network namespace of the test's own:
// the interface sidecar's script puts the addresses and NOTRACK rules in place (its startupProbe
// check passes), dnsmesh serves the ConfigMap's Corefile on both addresses, port 53, as uid 0 with
// CAP_NET_BIND_SERVICE alone (the container's securityContext), its probes answer where the
// DaemonSet asks, and on SIGTERM the sidecar takes everything away again.
// The cluster's addresses are loopback ones here (127.0.20.10 for 169.254.20.10, 127.0.96.10 for
// the kube-dns IP), on `lo` (this kernel has no dummy interfaces); nothing leaves the namespace.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { asUser, netns } from './netns.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');
const BUILT = join(ROOT, 'apps/server/bin/dnsmesh.js');
const SCRIPT = join(DIR, 'node-local-interface.sh');

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown }
interface Container { name: string; image: string; command?: string[]; args?: string[]; env?: { name: string; value: string }[]; restartPolicy?: string;
  ports?: { name: string; containerPort: number; protocol: string }[]; securityContext: Record<string, unknown> & { capabilities: { add: string[]; drop: string[] } };
  livenessProbe?: { httpGet: { host: string; path: string; port: number } }; readinessProbe?: { httpGet: { host: string; path: string; port: number } };
  startupProbe?: { exec: { command: string[] } }; resources: { requests: Record<string, string>; limits: Record<string, string> }; volumeMounts?: { name: string; mountPath: string; subPath?: string }[] }

const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const MANIFESTS: { file: string; doc: Manifest }[] = FILES.flatMap((file) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return { file, doc: d.toJS() as Manifest };
}));
const find = (kind: string, name?: string) => MANIFESTS.find((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata.name === name))!;
const DS = find('DaemonSet').doc as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: Manifest['metadata']; spec: Record<string, unknown> & {
  initContainers: Container[]; containers: Container[]; volumes: { name: string; configMap?: { name: string }; hostPath?: { path: string } }[]; tolerations: unknown[] } } } };
const POD = DS.spec.template.spec;
const MAIN = POD.containers.find((c) => c.name === 'dnsmesh')!;
const SIDECAR = POD.initContainers.find((c) => c.name === 'interface')!;
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const COREFILE = (find('ConfigMap').doc as Manifest & { data: { Corefile: string } }).data.Corefile;

/** The kubernetes-models class of a manifest, by apiVersion and kind. */
const GROUPS: Record<string, Record<string, unknown>> = { v1: await import('kubernetes-models/v1'), 'apps/v1': await import('kubernetes-models/apps/v1') };
async function model(doc: Manifest): Promise<{ validate(): void }> {
  const Model = GROUPS[doc.apiVersion]?.[doc.kind] as (new (d: unknown) => { validate(): void }) | undefined;
  if (Model === undefined) throw new Error(`no kubernetes-models class for ${doc.apiVersion} ${doc.kind}`);
  return new Model(doc);
}

const work = mkdtempSync(join(tmpdir(), 'dnsmesh-k8s-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment Kubernetes gives the dnsmesh container, with the cluster's addresses on loopback. */
const podEnv = (upstreamPort: number): Record<string, string> => ({
  ...envOf(MAIN), LOCAL_DNS_IP: '127.0.20.10', KUBE_DNS_IP: '127.0.96.10',
  // Set by Kubernetes for the dnsmesh-kube-dns-upstream Service (service links).
  KUBE_DNS_UPSTREAM_SERVICE_HOST: '127.0.0.1', KUBE_DNS_UPSTREAM_SERVICE_PORT: String(upstreamPort),
});

describe('the manifests', () => {
  it('parse, and each names apiVersion, kind, and a name in kube-system', () => {
    expect(FILES).toEqual(['00-serviceaccount.yaml', '10-configmap.yaml', '20-service-kube-dns-upstream.yaml', '30-service-metrics.yaml', '40-daemonset.yaml']);
    for (const { file, doc } of MANIFESTS) {
      expect(doc.apiVersion, file).toMatch(/^(v1|apps\/v1)$/);
      expect(doc.kind, file).toMatch(/^[A-Z]\w+$/);
      expect(doc.metadata.name, file).toMatch(/^[a-z0-9-]+$/);
      expect(doc.metadata.namespace, file).toBe('kube-system');
    }
    expect(MANIFESTS.map((m) => m.doc.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'Service', 'Service', 'DaemonSet']);
  });

  it("pass the Kubernetes API's schema (kubernetes-models), which does reject a wrong one", async () => {
    for (const { file, doc } of MANIFESTS) {
      const m = await model(doc);
      expect(() => m.validate(), file).not.toThrow();
    }
    const broken = structuredClone(DS);
    (broken.spec.template.spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'dns';
    await expect(model(broken).then((m) => m.validate())).rejects.toThrow(/containerPort must be integer/);
  });

  it('deploy a node-local cache as node-local-dns does', () => {
    expect(POD.hostNetwork).toBe(true);
    expect(POD.dnsPolicy).toBe('Default');
    expect(POD.priorityClassName).toBe('system-node-critical');
    expect(POD.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(POD.serviceAccountName).toBe(find('ServiceAccount').doc.metadata.name);
    expect(DS.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9153' });
    expect(DS.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'dnsmesh-node-local' });
    const local = envOf(MAIN).LOCAL_DNS_IP;
    expect(local).toBe('169.254.20.10');
    expect(envOf(MAIN).KUBE_DNS_IP).toBe('__PILLAR__DNS__SERVER__');
    expect(envOf(SIDECAR)).toEqual({ LOCAL_DNS_IP: local, KUBE_DNS_IP: envOf(MAIN).KUBE_DNS_IP });
    expect(MAIN.livenessProbe!.httpGet).toEqual({ host: local, path: '/health', port: 8080 });
    expect(MAIN.readinessProbe!.httpGet).toEqual({ host: local, path: '/ready', port: 8181 });
    expect(MAIN.ports!.map((p) => `${p.containerPort}/${p.protocol}`)).toEqual(['53/UDP', '53/TCP', '9153/TCP']);
    for (const c of [MAIN, SIDECAR]) {
      expect(c.resources.requests, c.name).toHaveProperty('memory');
      expect(c.resources.limits, c.name).toHaveProperty('memory');
      expect(c.image, c.name).toMatch(/:\d+\.\d+\.\d+$/);
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    expect(MAIN.securityContext.capabilities.add).toEqual(['NET_BIND_SERVICE']);
    expect(SIDECAR.securityContext.capabilities.add).toEqual(['NET_ADMIN', 'NET_RAW']);
    expect(SIDECAR.restartPolicy).toBe('Always');
    expect(SIDECAR.startupProbe!.exec.command).toEqual(['node-local-interface', 'check']);
    // The ConfigMap as a directory (a subPath mount would never see an edit, and reload would not either).
    const config = POD.volumes.find((v) => v.configMap !== undefined)!;
    expect(config.configMap!.name).toBe(find('ConfigMap').doc.metadata.name);
    expect(MAIN.volumeMounts!.find((m) => m.name === config.name)).toEqual({ name: config.name, mountPath: '/etc/dnsmesh', readOnly: true });
    expect(MAIN.args).toEqual(['dnsmesh', '-conf', '/etc/dnsmesh/Corefile']);
  });

  it('give the cluster DNS a second Service for the misses, and the metrics a headless one on the pods', () => {
    const upstream = find('Service', 'dnsmesh-kube-dns-upstream').doc as Manifest & { spec: { selector: Record<string, string>; ports: { port: number; protocol: string }[] } };
    expect(upstream.spec.selector).toEqual({ 'k8s-app': 'kube-dns' });
    expect(upstream.spec.ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['53/UDP', '53/TCP']);
    // Kubernetes names the variables after the Service; the Corefile reads them.
    expect(COREFILE).toContain('{$KUBE_DNS_UPSTREAM_SERVICE_HOST}:{$KUBE_DNS_UPSTREAM_SERVICE_PORT}');
    const metrics = find('Service', 'dnsmesh-node-local-metrics').doc as Manifest & { spec: { clusterIP: string; selector: Record<string, string>; ports: { port: number }[] } };
    expect(metrics.spec.clusterIP).toBe('None');
    expect(metrics.spec.selector).toEqual(DS.spec.selector.matchLabels);
    expect(metrics.spec.ports.map((p) => p.port)).toEqual([9153]);
  });
});

describe("the ConfigMap's Corefile", () => {
  const conf = join(work, 'Corefile');
  writeFileSync(conf, COREFILE);
  const check = (env: Record<string, string>) => exec(BUILT, ['-conf', conf, '-check'], { env: { PATH: process.env.PATH, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e: { code: number; stdout: string; stderr: string }) => e);

  it("loads with the DaemonSet's environment (dnsmesh -check): the node-local zones, each on port 53", async () => {
    const { code, stdout } = await check(podEnv(53));
    expect(code).toBe(0);
    expect(stdout).toMatch(/OK \(4 server blocks: cluster\.local\.:53, in-addr\.arpa\.:53, ip6\.arpa\.:53, \.:53\)/);
  });

  it('stops with FILE:LINE while the kube-dns IP is still the placeholder', async () => {
    const { code, stderr } = await check({ ...podEnv(53), KUBE_DNS_IP: envOf(MAIN).KUBE_DNS_IP! });
    expect(code).toBe(1);
    expect(stderr).toMatch(/Corefile:\d+ - bind: .*__PILLAR__DNS__SERVER__/);
  });
});

describe('the node-local setup, in a network namespace', () => {
  it('the sidecar puts the addresses and rules in place, dnsmesh answers on both, the probes pass, and the sidecar takes it all away on SIGTERM', async () => {
    const ns = await netns();
    onTestFinished(() => ns.close());
    const upstream = ns.start('node', [join(ROOT, 'deploy/test/upstream.mjs'), '5300', JSON.stringify({
      'web.default.svc.cluster.local A': { ttl: 30, data: ['10.1.2.3'] },
      '3.2.1.10.in-addr.arpa PTR': { ttl: 30, data: ['web.default.svc.cluster.local'] },
      'example.org A': { ttl: 300, data: ['192.0.2.1'] },
    })]);
    onTestFinished(async () => { await upstream.stop(); });
    await upstream.waitFor(/listening 5300/);
    const env = podEnv(5300);
    const sidecarEnv = { PATH: process.env.PATH!, LOCAL_DNS_IP: env.LOCAL_DNS_IP!, KUBE_DNS_IP: env.KUBE_DNS_IP!, INTERFACE: 'lo' };
    const asRootWith = (caps: string[]) => asUser(0, caps).slice(1); // setpriv's arguments

    const check = () => ns.run('setpriv', [...asRootWith(['net_admin', 'net_raw']), SCRIPT, 'check'], { env: sidecarEnv, allowFail: true });
    expect((await check()).code).toBe(1);
    const sidecar = ns.start('setpriv', [...asRootWith(['net_admin', 'net_raw']), SCRIPT, SIDECAR.command![1]!], { env: sidecarEnv });
    onTestFinished(async () => { await sidecar.stop(); });
    await sidecar.waitFor(/node-local-interface: 127\.0\.20\.10 127\.0\.96\.10 on lo/);
    expect((await check()).code).toBe(0); // the startupProbe
    const raw = (await ns.run('iptables', ['-t', 'raw', '-S'])).stdout;
    expect(raw).toContain('-A PREROUTING -d 127.0.96.10/32 -p udp -m udp --dport 53 -j NOTRACK');
    expect(raw).toContain('-A OUTPUT -s 127.0.20.10/32 -p tcp -m tcp --sport 53 -j NOTRACK');

    const etc = join(work, 'etc/dnsmesh');
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'Corefile'), COREFILE); // the ConfigMap volume
    const args = MAIN.args!.map((a) => (a === 'dnsmesh' ? BUILT : a.replace('/etc/dnsmesh', etc)));
    const server = ns.start('setpriv', [...asRootWith(['net_bind_service']), ...args], { env: { PATH: process.env.PATH!, ...env } });
    onTestFinished(async () => { await server.stop('SIGKILL'); });
    await server.waitFor(/^dnsmesh-\d/m, 20_000);

    const dig = async (server: string, args: string[]) => (await ns.run('dig', ['+time=3', '+tries=1', `@${server}`, '-p', '53', ...args])).stdout;
    for (const address of [env.LOCAL_DNS_IP!, env.KUBE_DNS_IP!]) {
      expect(await dig(address, ['web.default.svc.cluster.local', 'A'])).toMatch(/status: NOERROR[\s\S]*web\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+10\.1\.2\.3/);
    }
    expect(await dig(env.KUBE_DNS_IP!, ['-x', '10.1.2.3'])).toMatch(/IN\s+PTR\s+web\.default\.svc\.cluster\.local\./);
    expect(await dig(env.LOCAL_DNS_IP!, ['example.org', 'A'])).toMatch(/IN\s+A\s+192\.0\.2\.1/);
    const asked = upstream.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { name: string; type: string; transport: string });
    expect(asked.filter((q) => q.name === 'web.default.svc.cluster.local')).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', transport: 'tcp' }]); // cached for the second address
    expect(asked.find((q) => q.type === 'PTR')?.transport).toBe('tcp');
    expect(asked.find((q) => q.name === 'example.org')?.transport).toBe('udp');

    // The kubelet's probes, where the DaemonSet points them (host LOCAL_DNS_IP); metrics on every address.
    const http = async (url: string) => (await ns.run('node', ['-e', `fetch('${url}').then(async (r) => console.log(r.status, await r.text()))`])).stdout;
    const probe = (p: { host: string; path: string; port: number }) => http(`http://${p.host === envOf(MAIN).LOCAL_DNS_IP ? env.LOCAL_DNS_IP : p.host}:${p.port}${p.path}`);
    expect(await probe(MAIN.livenessProbe!.httpGet)).toMatch(/^200 OK/);
    expect(await probe(MAIN.readinessProbe!.httpGet)).toMatch(/^200 OK/);
    expect(await http(`http://127.0.0.1:${DS.spec.template.metadata.annotations!['prometheus.io/port']}/metrics`)).toMatch(/dnsmesh_dns_requests_total\S* [1-9]/);

    expect(await server.stop('SIGTERM')).toBe(0); // after the 5 s lameduck
    expect(await sidecar.stop('SIGTERM')).toBe(0);
    expect(sidecar.out()).toMatch(/node-local-interface: removed/);
    expect((await check()).code).toBe(1);
    expect((await ns.run('ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout).not.toMatch(/127\.0\.(20|96)\.10/);
    expect((await ns.run('iptables', ['-t', 'raw', '-S'])).stdout).not.toContain('127.0.');
  }, 60_000);
});
