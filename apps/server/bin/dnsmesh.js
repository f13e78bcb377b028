#!/usr/bin/env -S node --min-semi-space-size=8 --max-semi-space-size=8 --single-threaded-gc --no-lazy-feedback-allocation
// The `dnsmesh` command. This file is committed (dist/ is built), so npm links the bin when it
// installs the workspace, before any build: `npm ci && npm run build && npx dnsmesh` then works.
// The #! line gives node the V8 flags that only take effect at start (src/gc-flags.ts, START_FLAGS:
// a test keeps the two the same); `env -S` splits them (GNU coreutils 8.30+, BusyBox 1.35+, macOS).
try {
  await import('../dist/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    process.stderr.write('dnsmesh: not built yet; run `npm run build` in the repository first\n');
    process.exit(1);
  }
  throw err;
}
