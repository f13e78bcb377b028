#!/usr/bin/env node
// Builds the native addon (build/Release/udp_batch.node) with the node-gyp that ships with npm,
// against the headers of the Node that runs this script. It never downloads headers and never
// fails: on any problem it prints ONE warning line and exits 0, so `npm install` / `npm ci` still
// succeed and dnsmesh runs on node:dgram instead (the package's `available` is then false).
//
//   node scripts/build.mjs               build (the `install` script)
//   node scripts/build.mjs --if-missing  build only if the addon is missing or older than its sources
//
// Environment:
//   DNSMESH_UDP_BATCH_BUILD=0        skip the build
//   DNSMESH_UDP_BATCH_VERBOSE=1      print node-gyp's output when it fails
//   npm_config_node_gyp              node-gyp's bin/node-gyp.js (npm sets it for lifecycle scripts)
//   npm_config_nodedir               a Node tree with include/node/node_api.h (else the running Node's prefix)
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = path.join(root, 'build', 'Release', 'udp_batch.node');
const sources = [path.join(root, 'src', 'udp_batch.c'), path.join(root, 'binding.gyp')];
const verbose = process.env.DNSMESH_UDP_BATCH_VERBOSE === '1';

/** The one warning line, then exit 0. */
function skip(reason, log) {
  if (log && verbose) process.stderr.write(log);
  const hint = log && !verbose ? ' (DNSMESH_UDP_BATCH_VERBOSE=1 shows the build log)' : '';
  console.warn(`@dnsmesh/udp-batch: native addon not built: ${reason}; dnsmesh will use node:dgram${hint}`);
  process.exit(0);
}

const upToDate = () => {
  if (!existsSync(target)) return false;
  const built = statSync(target).mtimeMs;
  return sources.every((file) => !existsSync(file) || statSync(file).mtimeMs <= built);
};

if (process.env.DNSMESH_UDP_BATCH_BUILD === '0') skip('DNSMESH_UDP_BATCH_BUILD=0');
if (process.platform !== 'linux') skip(`${process.platform} is not supported (Linux only)`);
if (process.argv.includes('--if-missing') && upToDate()) process.exit(0);

// node-gyp: the copy npm ships (we do not depend on it).
const gypCandidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
];
const gyp = gypCandidates.find((file) => file && existsSync(file));
if (gyp === undefined) skip('node-gyp not found next to npm (set npm_config_node_gyp)');

// Node's headers, already on this machine: node-gyp would otherwise download them.
const hasHeaders = (dir) => ['node_api.h', 'uv.h', 'common.gypi'].every((f) => existsSync(path.join(dir, 'include', 'node', f)));
const dirCandidates = [process.env.npm_config_nodedir, path.resolve(process.execPath, '../..')];
const nodedir = dirCandidates.find((dir) => dir && hasHeaders(dir));
if (nodedir === undefined) skip(`Node headers not found in ${dirCandidates.filter(Boolean).join(' or ')} (set npm_config_nodedir); not downloading them`);

const run = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodedir}`], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodedir },
  timeout: 300_000,
});
const log = `${run.stdout ?? ''}${run.stderr ?? ''}`;
if (run.error) skip(`node-gyp did not run: ${run.error.message}`, log);
if (run.status !== 0 || !existsSync(target)) {
  // The line that best says what went wrong: a compile error, then an exception (Python's, e.g. a
  // missing compiler), then node-gyp's own error (e.g. no Python), then anything error-like.
  const lines = log.split('\n').filter((l) => !/^gyp info/.test(l));
  const line = [/: (fatal )?error: /, /^\w*Error: /, /^gyp ERR! stack Error: /, /error|not found|no such file|could not find/i]
    .map((re) => lines.find((l) => re.test(l)))
    .find((l) => l !== undefined);
  const reason = line?.replace(/^gyp ERR! stack /, '').replace(/\s+/g, ' ').trim().slice(0, 200);
  skip(`node-gyp failed${reason ? `: ${reason}` : ` (exit ${run.status ?? run.signal})`}`, log);
}

// Check that it loads (in a child: a bad binary must not take this script down).
const load = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(target)})`], { encoding: 'utf8' });
if (load.status !== 0) skip(`the built addon does not load: ${(load.stderr.split('\n').find((l) => /Error/.test(l)) ?? '').trim()}`, load.stderr);
console.log(`@dnsmesh/udp-batch: built ${path.relative(process.cwd(), target) || target}`);
