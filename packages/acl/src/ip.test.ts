import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { contains, formatCidr, parseCidr, parseIp, prefixKey, type Cidr } from './ip.js';

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
};

describe('parseIp', () => {
  const good: [string, 4 | 6, number[]][] = [
    ['127.0.0.1', 4, [0x7f000001]],
    ['0.0.0.0', 4, [0]],
    ['255.255.255.255', 4, [0xffffffff]],
    ['::1', 6, [0, 0, 0, 1]],
    ['::', 6, [0, 0, 0, 0]],
    ['fe80::1%eth0', 6, [0xfe800000, 0, 0, 1]],
    ['2001:db8::8:800:200c:417a', 6, [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ['2001:DB8:0:0:8:800:200C:417A', 6, [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ['1::', 6, [0x00010000, 0, 0, 0]],
    ['::ffff:10.1.2.3', 4, [0x0a010203]],
    ['::ffff:a01:203', 4, [0x0a010203]],
    ['64:ff9b::192.0.2.33', 6, [0x0064ff9b, 0, 0, 0xc0000221]],
  ];
  it.each(good)('%s', (text, family, words) => {
    expect(parseIp(text)).toEqual({ family, words });
  });

  const bad = ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.', '.1.2.3', 'a.b.c.d', ':::', '1:2:3:4:5:6:7:8:9',
    '1::2::3', '1:', ':1', '12345::', 'g::', '1:2:3:4:5:6:7', '::1.2.3', '1.2.3.4::', 'localhost'];
  it.each(bad)('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('agrees with node:net on which strings are addresses (a seeded sample of near-misses)', () => {
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const alphabet = '0123456789abcdef:.:.';
    for (let n = 0; n < 5000; n++) {
      let s = '';
      const len = 2 + rand(20);
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
      expect(parseIp(s) !== undefined, s).toBe(isIP(s) !== 0);
    }
  });
});

describe('parseCidr and contains', () => {
  it('reads networks and lone addresses', () => {
    expect(formatCidr(cidr('10.0.0.0/8'))).toBe('10.0.0.0/8');
    expect(formatCidr(cidr('192.168.1.7'))).toBe('192.168.1.7/32');
    expect(cidr('fc00::/7')).toMatchObject({ family: 6, bits: 7 });
    expect(cidr('::1')).toMatchObject({ family: 6, bits: 128 });
    expect(cidr('0.0.0.0/0')).toMatchObject({ family: 4, bits: 0 });
    expect(cidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, bits: 8 });
  });

  it('says what is wrong with a bad network', () => {
    expect(parseCidr('10.0.0.0/33')).toBe("'10.0.0.0/33' has a bad prefix length (0 to 32)");
    expect(parseCidr('10.0.0.0/')).toBe("'10.0.0.0/' has a bad prefix length (0 to 32)");
    expect(parseCidr('10.1.0.0/8')).toBe("'10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)");
    expect(parseCidr('example.org')).toBe("'example.org' is not an IP address or CIDR network");
    expect(parseCidr('fe80::/10%eth0')).toBe("'fe80::/10%eth0' is not an IP address or CIDR network");
    expect(parseCidr('::ffff:0.0.0.0/95')).toBe("'::ffff:0.0.0.0/95' covers more than IPv4-mapped addresses; write an IPv4 network");
  });

  it('matches as node:net BlockList does, IPv4 and IPv6, mapped addresses as IPv4', () => {
    let seed = 11;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const v4 = () => [rand(4) === 0 ? 10 : rand(256), rand(256), rand(256), rand(256)].join('.');
    const v6 = () => Array.from({ length: 8 }, () => (rand(3) === 0 ? 0 : rand(0x10000)).toString(16)).join(':');
    for (let n = 0; n < 2000; n++) {
      const family = rand(2) === 0 ? 4 : 6;
      const base = family === 4 ? v4() : v6();
      const bits = rand(family === 4 ? 33 : 129);
      const net = parseIp(base)!;
      const masked = cidr(`${prefixKeyToText(net.family, prefixKey(net, bits))}/${bits}`);
      const list = new BlockList();
      list.addSubnet(formatCidr(masked).split('/')[0]!, bits, family === 4 ? 'ipv4' : 'ipv6');
      // Probe near the network (same first bits) and anywhere.
      for (const probe of [base, family === 4 ? v4() : v6()]) {
        expect(contains(masked, parseIp(probe)!), `${probe} in ${formatCidr(masked)}`).toBe(list.check(probe, family === 4 ? 'ipv4' : 'ipv6'));
      }
      if (family === 4) expect(contains(masked, parseIp(`::ffff:${base}`)!)).toBe(true);
    }
  });

  it('keys prefixes', () => {
    expect(prefixKey(parseIp('192.0.2.77')!, 24)).toBe(prefixKey(parseIp('192.0.2.1')!, 24));
    expect(prefixKey(parseIp('192.0.2.77')!, 24)).not.toBe(prefixKey(parseIp('192.0.3.77')!, 24));
    expect(prefixKey(parseIp('2001:db8:0:ab::1')!, 56)).toBe(prefixKey(parseIp('2001:db8:0:ff::9')!, 56));
    expect(prefixKey(parseIp('2001:db8:0:1ab::1')!, 56)).not.toBe(prefixKey(parseIp('2001:db8:0:ab::1')!, 56));
    expect(prefixKey(parseIp('::ffff:192.0.2.7')!, 24)).toBe(prefixKey(parseIp('192.0.2.8')!, 24));
  });
});

/** A prefixKey back to an address text (the test builds networks from random addresses with it). */
function prefixKeyToText(family: 4 | 6, key: string): string {
  const words = key.split(':').slice(1).map((h) => parseInt(h, 16));
  if (family === 4) return [words[0]! >>> 24, (words[0]! >>> 16) & 255, (words[0]! >>> 8) & 255, words[0]! & 255].join('.');
  return words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}
