import { describe, expect, it } from 'vitest';
import { addrLabel, parseName, type ConsulName } from './names.js';

const A = 1;
const SRV = 33;

describe('parseName', () => {
  const table: [string, number, ConsulName][] = [
    ['consul.', A, { kind: 'apex' }],
    ['web.service.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: false }],
    ['web.service.dc2.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc2', rfc2782: false }],
    ['web.service.dc2.dc.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc2', rfc2782: false }],
    ['web.service.dc.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc', rfc2782: false }],
    ['web.service.default.ns.default.ap.dc1.dc.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc1', rfc2782: false, ns: 'default', ap: 'default' }],
    ['web.service.team.ns.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: false, ns: 'team' }],
    ['web.service.team.ns.eu.ap.dc2.dc.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc2', rfc2782: false, ns: 'team', ap: 'eu' }],
    ['web.service.eu.ap.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: false, ap: 'eu' }],
    ['primary.web.service.team.ns.consul.', A, { kind: 'service', service: 'web', tag: 'primary', dc: undefined, rfc2782: false, ns: 'team' }],
    ['_web._tcp.service.team.ns.consul.', SRV, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: true, ns: 'team' }],
    ['_web._tcp.team.ns.consul.', SRV, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: true, ns: 'team' }],
    ['web.connect.team.ns.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: false, connect: true, ns: 'team' }],
    ['n1.node.eu.ap.dc2.dc.consul.', A, { kind: 'node', node: 'n1', dc: 'dc2', ap: 'eu' }],
    ['n1.node.team.ns.consul.', A, { kind: 'node', node: 'n1', dc: undefined }],
    // Consul's locality rules: one bare label (a datacenter) or KEY pairs, each key once.
    ['web.service.team.ns.dc2.consul.', A, { kind: 'invalid' }],
    ['web.service.team.foo.consul.', A, { kind: 'invalid' }],
    ['web.service.a.ns.b.ns.consul.', A, { kind: 'invalid' }],
    ['web.service.p.peer.d.dc.consul.', A, { kind: 'invalid' }],
    ['web.service.team.ns.p.peer.consul.', A, { kind: 'pass', what: 'peer' }],
    ['web.virtual.team.ns.consul.', A, { kind: 'pass', what: 'virtual' }],
    ['primary.web.service.consul.', A, { kind: 'service', service: 'web', tag: 'primary', dc: undefined, rfc2782: false }],
    ['a.b.web.service.consul.', A, { kind: 'invalid' }],
    ['_web._tcp.service.consul.', SRV, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: true }],
    ['_web._primary.service.dc1.consul.', SRV, { kind: 'service', service: 'web', tag: 'primary', dc: 'dc1', rfc2782: true }],
    ['_web._tcp.service.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: true }],
    ['_web._tcp.consul.', SRV, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: true }],
    ['_web._tcp.dc1.consul.', SRV, { kind: 'service', service: 'web', tag: undefined, dc: 'dc1', rfc2782: true }],
    ['_web._tcp.consul.', A, { kind: 'invalid' }],
    ['ip-10-0-1-5.node.consul.', A, { kind: 'node', node: 'ip-10-0-1-5', dc: undefined }],
    ['db.internal.node.dc1.consul.', A, { kind: 'node', node: 'db.internal', dc: 'dc1' }],
    ['0a000105.addr.dc1.consul.', A, { kind: 'addr', ip: '10.0.1.5', family: 4, dc: 'dc1' }],
    ['20010db8000000000000000000000001.addr.consul.', A, { kind: 'addr', ip: '2001:0db8:0000:0000:0000:0000:0000:0001', family: 6, dc: undefined }],
    ['0a0001.addr.consul.', A, { kind: 'invalid' }],
    ['api-nearest.query.consul.', A, { kind: 'query', query: 'api-nearest', dc: undefined }],
    ['_api-nearest._tcp.query.dc2.consul.', 33, { kind: 'query', query: 'api-nearest', dc: 'dc2' }],
    ['a.b.query.consul.', A, { kind: 'invalid' }],
    ['web.connect.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: undefined, rfc2782: false, connect: true }],
    ['a.web.connect.consul.', A, { kind: 'invalid' }],
    ['web.ingress.dc2.consul.', A, { kind: 'service', service: 'web', tag: undefined, dc: 'dc2', rfc2782: false, ingress: true }],
    ['web.virtual.consul.', A, { kind: 'virtual', service: 'web' }],
    ['web.virtual.peer1.consul.', A, { kind: 'pass', what: 'virtual' }],
    ['a.web.virtual.consul.', A, { kind: 'invalid' }],
    ['web.service.other.peer.consul.', A, { kind: 'pass', what: 'peer' }],
    ['foo.consul.', A, { kind: 'invalid' }],
    ['service.consul.', A, { kind: 'invalid' }],
    ['web.service.dc1.dc2.consul.', A, { kind: 'invalid' }],
    ['web.nothing.dc1.consul.', A, { kind: 'invalid' }],
  ];
  it.each(table)('%s (type %i)', (name, qtype, want) => {
    expect(parseName(name, 'consul.', qtype)).toEqual(want);
  });

  it('works under any zone, the root included', () => {
    expect(parseName('web.service.example.com.', 'example.com.', A)).toMatchObject({ kind: 'service', service: 'web' });
    expect(parseName('web.service.', '.', A)).toMatchObject({ kind: 'service', service: 'web' });
  });

  it('writes .addr labels back', () => {
    expect(addrLabel('10.0.1.5', 4)).toBe('0a000105');
    expect(addrLabel('2001:db8::1', 6)).toBe('20010db8000000000000000000000001');
    expect(addrLabel('::ffff:10.0.0.1', 6)).toBe('00000000000000000000ffff0a000001');
  });
});
