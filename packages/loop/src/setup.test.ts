import { parseCorefile } from '@dnsmesh/core';
import { loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import loopDef from './index.js';
import { parse } from './setup.js';

const directive = (text: string) => parseCorefile(text, 'Corefile')[0]!.directives[0]!;

const ORDER = ['prometheus', 'log', 'errors', 'loop', 'chaos', 'whoami', 'minimal', 'cache', 'forward'];

describe('loop setup', () => {
  it('takes the first zone of its server block', () => {
    expect(parse(directive('svc.test:53 other.test {\n  loop\n}\n'))).toEqual({ zone: 'svc.test.' });
    expect(parse(directive('.:53 {\n  loop\n}\n'))).toEqual({ zone: '.' });
  });
  it.each([
    ['.:53 {\n  loop x\n}\n', 'Corefile:2 - loop: takes no arguments, got 1'],
    ['.:53 {\n  loop {\n    x\n  }\n}\n', `Corefile:3 - loop: unknown property 'x'`],
  ])('fails on %j with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [loopDef], ORDER));
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('loop');
  });
});
