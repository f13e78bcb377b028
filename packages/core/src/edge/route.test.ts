import pino from 'pino';
import { Registry } from 'prom-client';
import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { ServerBlock } from '../block.js';
import { DnsMessage } from '../message.js';
import { manualClock } from '../units.js';
import { encodeName } from '../wire/name.js';
import { ZoneRouter } from './route.js';

const block = (zones: string[]) => new ServerBlock({ zones, port: 53, container: container.createChildContainer(), clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry() });
const wire = (name: string) => new DnsMessage(Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), encodeName(name), Buffer.from([0, 1, 0, 1])])).qnameKey;

describe('ZoneRouter.matchWire', () => {
  it('picks the longest zone on a label boundary, in any case', () => {
    const root = block(['.']);
    const consul = block(['consul.']);
    const svc = block(['service.consul.', 'other.test.']);
    const r = new ZoneRouter();
    r.add(root); r.add(consul); r.add(svc);
    expect(r.matchWire(wire('Web.SERVICE.consul'))).toBe(svc);
    expect(r.matchWire(wire('node1.node.consul'))).toBe(consul);
    expect(r.matchWire(wire('aconsul'))).toBe(root);
    expect(r.matchWire(wire('xservice.consul'))).toBe(consul);
    expect(r.matchWire(wire('consul'))).toBe(consul);
    expect(r.matchWire(wire('example.com'))).toBe(root);
  });

  it('finds nothing outside every zone', () => {
    const r = new ZoneRouter();
    r.add(block(['consul.']));
    expect(r.matchWire(wire('example.com'))).toBeUndefined();
    expect(r.matchWire(wire('consul.example'))).toBeUndefined();
  });
});
