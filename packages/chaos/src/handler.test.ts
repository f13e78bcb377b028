import { createServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { buildQuery, directiveOf, fakeUpstream, loadReadmeExamples, loadWith, queryRaw, toReply } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import chaosDef, { chaos } from './index.js';
import { parse } from './setup.js';

/** A query of class CH (3): the testkit builds IN, so the class bytes are set after. */
function chQuery(name: string, type = 'TXT'): Buffer {
  const q = buildQuery(name, type);
  q.writeUInt16BE(3, q.length - 2);
  return q;
}

async function serve(withChaos: boolean) {
  const upstream = await fakeUpstream({});
  const plugins = withChaos
    ? [chaos({ version: 'v9', authors: ['ann', 'bob'], hostname: 'node-1' }), forward({ to: [upstream.address] })]
    : [forward({ to: [upstream.address] })];
  const server = await createServer({ zones: ['.'], port: 0, plugins }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  const ask = async (name: string, type = 'TXT') => toReply((await queryRaw(server.address, chQuery(name, type)))!);
  return { upstream, ask };
}

const ORDER = ['prometheus', 'log', 'errors', 'loop', 'chaos', 'whoami', 'minimal', 'cache', 'forward'];

describe('chaos', () => {
  it('answers version, authors, hostname and id locally, TTL 0, class CH', async () => {
    const { ask, upstream } = await serve(true);
    const texts = async (name: string) => (await ask(name)).answers.map((r) => (r.data as Buffer[]).map(String).join(''));
    expect(await texts('version.bind')).toEqual(['v9']);
    expect(await texts('VERSION.server')).toEqual(['v9']);
    expect(await texts('authors.bind')).toEqual(['ann', 'bob']);
    expect(await texts('hostname.bind')).toEqual(['node-1']);
    expect(await texts('id.server')).toEqual(['node-1']);
    const reply = await ask('version.bind');
    expect(reply.answers[0]).toMatchObject({ class: 'CH', ttl: 0, name: 'version.bind' });
    expect(reply.flags.aa).toBe(true);
    expect(upstream.queries).toHaveLength(0);
  });

  it('refuses other CH queries itself, and never forwards one', async () => {
    const { ask, upstream } = await serve(true);
    expect((await ask('other.bind')).rcode).toBe('REFUSED');
    expect((await ask('version.bind', 'A')).rcode).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(0);
  });

  it('without chaos in the block, the edge refuses CH queries before the chain', async () => {
    const { ask, upstream } = await serve(false);
    expect((await ask('version.bind')).rcode).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(0);
  });

  it('parses VERSION and AUTHORS as CoreDNS', () => {
    const d = directiveOf;
    expect(parse(d('chaos'))).toMatchObject({ version: undefined, authors: ['dnsmesh contributors (https://github.com/dnsmesh/dnsmesh)'] });
    expect(parse(d('chaos "my resolver 1.0" ann bob'))).toMatchObject({ version: 'my resolver 1.0', authors: ['ann', 'bob'] });
    expect(() => parse(d('chaos {\n  x\n}'))).toThrow(`Corefile:3 - chaos: unknown property 'x'`);
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [chaosDef], ORDER));
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('chaos');
  });
});
