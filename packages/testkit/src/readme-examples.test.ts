import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeCorefiles } from './readme-examples.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readmeCorefiles', () => {
  it('takes ```corefile and ~~~ corefile fences, in order, and nothing else', () => {
    const file = join(dir, 'README.md');
    writeFileSync(file, [
      '# x', '', '```corefile', '. {', '    whoami', '}', '```', '', '```sh', 'dig x', '```', '',
      '~~~ corefile', 'a.test {', '    hosts /etc/hosts', '}', '~~~', '', '```', 'not corefile', '```', '',
    ].join('\n'));
    expect(readmeCorefiles(pathToFileURL(file))).toEqual(['. {\n    whoami\n}\n', 'a.test {\n    hosts /etc/hosts\n}\n']);
    expect(readmeCorefiles(pathToFileURL(file), (t) => t.replace('/etc/hosts', 'hosts'))[1]).toBe('a.test {\n    hosts hosts\n}\n');
  });
});
