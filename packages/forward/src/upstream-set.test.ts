import { describe, expect, it } from 'vitest';
import { RTO } from './options.js';
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

describe('Upstream retransmission timeout (RTO)', () => {
  const fresh = () => new Upstream({ host: '127.0.0.1', port: 53 }, 2);

  it('starts at RTO.initial, then follows srtt + 4 × rttvar (RFC 6298) within the floor and the ceiling', () => {
    const up = fresh();
    expect(up.rto()).toBe(RTO.initial);
    up.measured(200);                                   // srtt 200, rttvar 100
    expect(up.rto()).toBe(600);
    for (let i = 0; i < 50; i++) up.measured(10);       // a steady fast upstream: variance decays
    expect(up.rto()).toBe(RTO.min);
    up.measured(3000);                                  // turned slow: the variance jumps, so does the timer (not to 1/8 of the step)
    expect(up.rto()).toBeGreaterThan(3000);
    for (let i = 0; i < 100; i++) up.measured(3000);    // steadily slow: just over its reply time
    expect(up.rto()).toBeGreaterThan(3000);
    expect(up.rto()).toBeLessThan(3100);
  });

  it('doubles per timer that ran out, up to the ceiling, and drops back at the next reply', () => {
    const up = fresh();
    for (let i = 0; i < 20; i++) up.measured(50);
    const base = up.rto();
    up.timedOut();
    expect(up.rto()).toBe(2 * base);
    up.timedOut();
    expect(up.rto()).toBe(4 * base);
    for (let i = 0; i < 10; i++) up.timedOut();
    expect(up.rto()).toBe(RTO.max);
    up.measured(50);
    expect(up.rto()).toBeLessThan(2 * base);
  });
});
