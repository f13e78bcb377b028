import { describe, expect, it } from 'vitest';
import { Upstream, UpstreamSet } from './upstream-set.js';

const ups = (n: number, maxFails = 2) => Array.from({ length: n }, (_, i) => new Upstream({ host: `127.0.0.${i + 1}`, port: 53 }, maxFails));
const labels = (list: readonly Upstream[]) => list.map((u) => u.label);

describe('UpstreamSet', () => {
  it('sequential keeps the configured order', () => {
    const set = new UpstreamSet('sequential', ups(3));
    expect(labels(set.list())).toEqual(['127.0.0.1:53', '127.0.0.2:53', '127.0.0.3:53']);
    expect(labels(set.list())).toEqual(['127.0.0.1:53', '127.0.0.2:53', '127.0.0.3:53']);
  });

  it('round_robin starts one further on each query', () => {
    const set = new UpstreamSet('round_robin', ups(3));
    expect(labels(set.list())).toEqual(['127.0.0.1:53', '127.0.0.2:53', '127.0.0.3:53']);
    expect(labels(set.list())).toEqual(['127.0.0.2:53', '127.0.0.3:53', '127.0.0.1:53']);
    expect(labels(set.list())).toEqual(['127.0.0.3:53', '127.0.0.1:53', '127.0.0.2:53']);
    expect(labels(set.list())[0]).toBe('127.0.0.1:53');
  });

  it('random gives every upstream once, and every one comes first sometimes', () => {
    const set = new UpstreamSet('random', ups(3));
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const list = labels(set.list());
      expect([...list].sort()).toEqual(['127.0.0.1:53', '127.0.0.2:53', '127.0.0.3:53']);
      firsts.add(list[0]!);
    }
    expect(firsts.size).toBe(3);
  });

  it('finds an upstream by its label, IPv6 in brackets', () => {
    const set = new UpstreamSet('random', [new Upstream({ host: '::1', port: 5300 }, 2)]);
    expect(set.find('[::1]:5300')?.address).toEqual({ host: '::1', port: 5300 });
    expect(set.find('127.0.0.1:53')).toBeUndefined();
  });
});

describe('Upstream', () => {
  it('is down after max_fails failures in a row; any reply resets the count', () => {
    const [u] = ups(1, 2);
    u!.failed();
    expect(u!.down).toBe(false);
    u!.replied('SERVFAIL');
    u!.failed();
    expect(u!.down).toBe(false);
    u!.failed();
    expect(u!.down).toBe(true);
    u!.replied('NOERROR');
    expect(u!.down).toBe(false);
    expect(Object.fromEntries(u!.responses)).toEqual({ NOERROR: 1, SERVFAIL: 1 });
  });

  it('is never down with max_fails 0', () => {
    const [u] = ups(1, 0);
    for (let i = 0; i < 10; i++) u!.failed();
    expect(u!.down).toBe(false);
  });
});
