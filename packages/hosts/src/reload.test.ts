import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { resolveOptions } from './options.js';
import { HostsFileWatch } from './reload.js';

function hostsFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-hosts-reload-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hosts');
  writeFileSync(file, text);
  return file;
}

describe('hosts reload', () => {
  it('reads the file again only when it changed, keeping the inline entries', async () => {
    const file = hostsFile('10.0.0.1 a.test\n');
    const watch = new HostsFileWatch(resolveOptions({ file, entries: { '10.0.0.9': ['inline.test'] } }, ['.']));
    await watch.init();
    expect(await watch.check()).toBeUndefined();
    writeFileSync(file, '10.0.0.2 b.test longer-name.test\n');
    const table = await watch.check();
    expect(table?.get('a.test.')).toBeUndefined();
    expect(table?.get('b.test.')).toEqual({ v4: ['10.0.0.2'], v6: [] });
    expect(table?.get('inline.test.')).toEqual({ v4: ['10.0.0.9'], v6: [] });
    expect(await watch.check()).toBeUndefined();
  });

  it('rejects a file with a bad line (the plugin keeps its table) and reads it once mended', async () => {
    const file = hostsFile('10.0.0.1 a.test\n');
    const watch = new HostsFileWatch(resolveOptions({ file }, ['.']));
    await watch.init();
    writeFileSync(file, '10.0.0.1 a.test\nnot-ip x.test\n');
    await expect(watch.check()).rejects.toThrow(`${file}:2: expected an IP address, got 'not-ip'`);
    writeFileSync(file, '10.0.0.3 c.test\n');
    expect((await watch.check())?.get('c.test.')).toEqual({ v4: ['10.0.0.3'], v6: [] });
  });
});
