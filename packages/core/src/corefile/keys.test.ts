import { describe, it, expect } from 'vitest';
import { parseKeys } from './keys.js';
import { Token } from './token.js';

function keys(...texts: string[]): { zone: string; port: number | undefined; text: string }[] {
  return parseKeys(texts.map((t) => new Token(t, 'Corefile', 3))).map(({ key: { scheme: _scheme, ...rest } }) => rest);
}

describe('server block keys', () => {
  const good: { input: string[]; want: [string, number | undefined, string][] }[] = [
    { input: ['.'], want: [['.', undefined, '.']] },
    { input: ['.:53'], want: [['.', 53, '.:53']] },
    { input: [':1053'], want: [['.', 1053, ':1053']] },
    { input: [':0'], want: [['.', 0, ':0']] },
    { input: ['Example.ORG'], want: [['example.org.', undefined, 'Example.ORG']] },
    { input: ['dns://example.org:1053'], want: [['example.org.', 1053, 'dns://example.org:1053']] },
    { input: ['DNS://.'], want: [['.', undefined, 'DNS://.']] },
    { input: ['a.org,b.org:54'], want: [['a.org.', undefined, 'a.org'], ['b.org.', 54, 'b.org:54']] },
    { input: ['a.org,', 'b.org'], want: [['a.org.', undefined, 'a.org'], ['b.org.', undefined, 'b.org']] },
    { input: ['10.0.0.0/24'], want: [['0.0.10.in-addr.arpa.', undefined, '10.0.0.0/24']] },
    { input: ['10.0.0.0/24:1053'], want: [['0.0.10.in-addr.arpa.', 1053, '10.0.0.0/24:1053']] },
    { input: ['fd00::/8'], want: [['d.f.ip6.arpa.', undefined, 'fd00::/8']] },
    { input: ['fd00::/8:53'], want: [['d.f.ip6.arpa.', 53, 'fd00::/8:53']] },
  ];
  it.each(good)('$input', ({ input, want }) => {
    expect(keys(...input)).toEqual(want.map(([zone, port, text]) => ({ zone, port, text })));
  });

  const bad: [string, string][] = [
    ['grpc://.', "server block key 'grpc://.': grpc:// is not supported (dns://, tls:// or https://)"],
    ['quic://.', "server block key 'quic://.': quic:// is not supported (dns://, tls:// or https://)"],
    ['.:65536', "server block key '.:65536': port 65536 is not between 0 and 65535"],
    ['.:99999999', "server block key '.:99999999': port 99999999 is not between 0 and 65535"],
    ['example.org:dns', "server block key 'example.org:dns': bad port 'dns'"],
    ['example.org:', "server block key 'example.org:': bad port ''"],
    ['a..org', "server block key 'a..org': zone 'a..org' has an empty label"],
    ['10.0.0.0/20', "server block key '10.0.0.0/20': CIDR '10.0.0.0/20': the prefix length must be a multiple of 8 (classless reverse zones are not supported)"],
    ['a.org,,b.org', "empty server block key in 'a.org,,b.org'"],
    [',a.org', "empty server block key in ',a.org'"],
  ];
  it.each(bad)('%s fails', (text, message) => {
    expect(() => keys(text)).toThrow(`Corefile:3 - Error during parsing: ${message}`);
  });

  const schemes: [string, string, number | undefined, string][] = [
    ['.', 'dns', undefined, '.'],
    ['tls://example.org', 'tls', 853, 'example.org.'],
    ['TLS://.:8853', 'tls', 8853, '.'],
    ['https://.', 'https', 443, '.'],
    ['https://consul.:0', 'https', 0, 'consul.'],
  ];
  it.each(schemes)('%s is %s on port %s', (text, scheme, port, zone) => {
    const [k] = parseKeys([new Token(text, 'Corefile', 3)]);
    expect(k!.key).toEqual({ zone, port, text, scheme });
  });

  it('an empty quoted key fails', () => {
    expect(() => parseKeys([new Token('', 'Corefile', 1, true)])).toThrow("Corefile:1 - Error during parsing: empty server block key in ''");
  });
});
