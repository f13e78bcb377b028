import { describe, expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';
import { udp } from '../testing/dig.js';

describe('Connect endpoints (/v1/health/connect/:svc and NAME.connect)', () => {
  it('lists the sidecar proxies of a service and Connect-native instances, over HTTP and DNS', async () => {
    const s = await startConsulSim({ seed: 1 });
    onTestFinished(() => s.close());
    s.registerNode({ name: 'a', address: '10.0.0.1' });
    s.registerNode({ name: 'b', address: '10.0.0.2' });
    s.registerService({ id: 'web-1', name: 'web', node: 'a', port: 8080 });
    s.registerService({ id: 'web-1-sidecar', name: 'web-sidecar-proxy', node: 'a', port: 21000, proxyFor: 'web' });
    s.registerService({ id: 'pay-1', name: 'pay', node: 'b', port: 9000, connectNative: true });
    const body = (await (await fetch(`${s.httpUrl}/v1/health/connect/web`)).json()) as Array<{ Service: { ID: string; Kind: string; Port: number } }>;
    expect(body.map((e) => [e.Service.ID, e.Service.Kind, e.Service.Port])).toEqual([['web-1-sidecar', 'connect-proxy', 21000]]);
    const native = (await (await fetch(`${s.httpUrl}/v1/health/connect/pay`)).json()) as unknown[];
    expect(native).toHaveLength(1);
    const srv = await udp(s.dnsAddress, 'web.connect.consul', 'SRV');
    expect(srv.answers.map((a) => (a.data as { port: number }).port)).toEqual([21000]);
    expect((await udp(s.dnsAddress, 'nosuch.connect.consul', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('lists the ingress gateways that expose a service (/v1/health/ingress/:svc and NAME.ingress)', async () => {
    const s = await startConsulSim({ seed: 1 });
    onTestFinished(() => s.close());
    s.registerNode({ name: 'gw', address: '10.0.0.9' });
    s.registerService({ id: 'ingress-1', name: 'ingress-gateway', node: 'gw', port: 8443, ingressFor: ['web', 'api'] });
    const body = (await (await fetch(`${s.httpUrl}/v1/health/ingress/web`)).json()) as Array<{ Service: { ID: string; Kind: string } }>;
    expect(body.map((e) => [e.Service.ID, e.Service.Kind])).toEqual([['ingress-1', 'ingress-gateway']]);
    expect((await udp(s.dnsAddress, 'api.ingress.consul', 'A')).answers.map((a) => a.data)).toEqual(['10.0.0.9']);
    expect((await udp(s.dnsAddress, 'db.ingress.consul', 'A')).rcode).toBe('NXDOMAIN');
  });
});
