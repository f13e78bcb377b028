import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../options.js';
import { addrLabel, parseName } from './names.js';

const cfg = resolveOptions({ alt_domain: 'sd.example.' });
const v1 = resolveOptions({ dns_variant: 'v1' });

describe('parseName', () => {
  it.each([
    ['web.service.consul', 'A', { kind: 'service', service: 'web', tag: undefined }],
    ['WEB.Service.CONSUL.', 'A', { kind: 'service', service: 'WEB', tag: undefined }],
    ['primary.web.service.consul', 'A', { kind: 'service', service: 'web', tag: 'primary' }],
    ['web.service.dc1.consul', 'A', { kind: 'service', service: 'web', tag: undefined }],
    ['web.service.dc1.dc.consul', 'A', { kind: 'service', service: 'web', tag: undefined }],
    ['web.service.default.ns.default.ap.dc1.dc.consul', 'A', { kind: 'service', service: 'web', tag: undefined }],
    ['_web._tcp.service.consul', 'SRV', { kind: 'service', service: 'web', tag: undefined }],
    ['_web._primary.service.consul', 'SRV', { kind: 'service', service: 'web', tag: 'primary' }],
    ['_web._tcp.consul', 'SRV', { kind: 'service', service: 'web', tag: undefined }],
    ['_web._tcp.dc1.consul', 'SRV', { kind: 'service', service: 'web', tag: undefined }],
    ['ip-10-0-0-1.node.consul', 'A', { kind: 'node', node: 'ip-10-0-0-1' }],
    ['my.dotted.host.node.dc1.consul', 'A', { kind: 'node', node: 'my.dotted.host' }],
    ['0a000001.addr.dc1.consul', 'A', { kind: 'addr', ip: '10.0.0.1', family: 4 }],
    // The datacenter of an .addr name is ignored by Consul, even one it does not know.
    ['0a000001.addr.nowhere.consul', 'A', { kind: 'addr', ip: '10.0.0.1', family: 4 }],
    ['20010db8000000000000000000000001.addr.consul', 'AAAA', { kind: 'addr', ip: '2001:0db8:0000:0000:0000:0000:0000:0001', family: 6 }],
    ['api.query.consul', 'A', { kind: 'query', query: 'api' }],
    ['web.connect.consul', 'A', { kind: 'service', service: 'web', tag: undefined, connect: true }],
    ['_api._x.query.consul', 'SRV', { kind: 'query', query: 'api' }],
    ['web.service.sd.example', 'A', { kind: 'service', service: 'web', tag: undefined }],
    ['consul', 'SOA', { kind: 'apex' }],
  ])('%s %s', (name, type, lookup) => {
    expect(parseName(name, type, cfg)?.lookup).toEqual(lookup);
  });

  it.each([
    ['web.service.dc2.consul', 'unknown datacenter dc2'],
    ['web.service.peer1.peer.consul', 'unknown peer peer1'],
    ['web.service.team.ns.consul', 'ns team needs Enterprise'],
    ['a.b.web.service.consul', 'too many labels for a tag lookup'],
    ['_web._tcp.consul', 'no query kind label'], // only SRV may leave out .service
    ['service.consul', 'empty service name'],
    ['0a0001.addr.consul', 'addr needs 8 or 32 hex digits'],
    ['a.web.virtual.consul', 'bad virtual name'],
    ['web.virtual.peer1.consul', 'unknown peer peer1'],
    ['a.web.connect.consul', 'bad connect name'],
    ['whatever.consul', 'no query kind label'],
  ])('%s is NXDOMAIN (%s)', (name, why) => {
    expect(parseName(name, 'A', cfg)?.lookup).toEqual({ kind: 'nxdomain', why });
  });

  it('v1 joins surplus labels into one dotted tag', () => {
    expect(parseName('a.b.web.service.consul', 'A', v1)?.lookup).toEqual({ kind: 'service', service: 'web', tag: 'a.b' });
  });

  it('names the domain the question used, and nothing outside both', () => {
    expect(parseName('web.service.sd.example', 'A', cfg)?.domain).toBe('sd.example');
    expect(parseName('web.service.consul', 'A', cfg)?.domain).toBe('consul');
    expect(parseName('web.service.example.com', 'A', cfg)).toBeUndefined();
    expect(parseName('notconsul', 'A', cfg)).toBeUndefined();
  });

  it('turns IPs into .addr labels', () => {
    expect(addrLabel('10.0.1.5')).toBe('0a000105');
    expect(addrLabel('2001:db8::1')).toBe('20010db8000000000000000000000001');
  });
});
