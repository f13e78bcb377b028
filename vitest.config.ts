import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their sources, so a change is tested without a build.
// (The server's own integration tests spawn the built `dnsmesh` binary; `npm test` builds first.)
const root = fileURLToPath(new URL('.', import.meta.url));
const alias: Record<string, string> = {};
for (const group of ['packages', 'apps']) {
  for (const dir of readdirSync(`${root}${group}`)) {
    const entry = `${root}${group}/${dir}/src/index.ts`;
    if (existsSync(entry)) alias[`@dnsmesh/${dir}`] = entry;
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
