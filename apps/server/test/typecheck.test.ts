// vitest strips types without checking them, and each package's build tsconfig.json leaves its
// tests out; so `npm test` runs `npm run typecheck` first. This keeps that true as files and
// packages are added: every TypeScript file in the repository is in the program of a
// tsconfig.test.json that a `typecheck` script runs.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const exec = promisify(execFile);

async function tracked(...patterns: string[]): Promise<string[]> {
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...patterns], { cwd: ROOT, maxBuffer: 16 << 20 });
  return stdout.split('\0').filter(Boolean);
}

/** The files a tsconfig's include/exclude select (what `tsc -p` checks, before following imports). */
function rootFiles(config: string): { files: string[]; noEmit: boolean } {
  const errors: string[] = [];
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d: ts.Diagnostic) => { errors.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, config), {}, host);
  errors.push(...(parsed?.errors ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
  expect(errors, config).toEqual([]);
  return { files: parsed!.fileNames.map((f) => relative(ROOT, f)), noEmit: parsed!.options.noEmit === true };
}

const scripts = (dir: string): Record<string, string> =>
  (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};

describe('npm run typecheck', () => {
  it('checks every TypeScript file, tests and test helpers included, and npm test runs it before vitest', async () => {
    const configs = await tracked('tsconfig.test.json', '*/tsconfig.test.json');
    const checked = new Set<string>();
    for (const config of configs) {
      const dir = dirname(config);
      const { files, noEmit } = rootFiles(config);
      expect(noEmit, config).toBe(true);
      if (dir === '.') expect(scripts('.')['typecheck'], config).toBe('turbo run typecheck && tsc -p tsconfig.test.json');
      else expect(scripts(dir)['typecheck'], config).toBe('tsc -p tsconfig.test.json');
      for (const f of files) checked.add(f);
    }
    const sources = await tracked('*.ts', '*.mts', '*.cts');
    expect(sources.filter((f) => f.endsWith('.test.ts')).length).toBeGreaterThan(100);
    expect(sources.filter((f) => !checked.has(f))).toEqual([]);
    expect(scripts('.')['test']).toMatch(/^turbo run build && npm run typecheck && vitest run /);
  });
});
