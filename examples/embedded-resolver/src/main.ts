#!/usr/bin/env node
// A Node program with a resolver inside: `embedded-resolver UPSTREAM... [--port N]`.
// Prints "listening on 127.0.0.1:PORT", logs each query on stdout, stops on SIGTERM or SIGINT.
import { startResolver } from './index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--port');
const port = at >= 0 ? Number(args.splice(at, 2)[1]) : 0;
if (args.length === 0 || !Number.isInteger(port)) {
  process.stderr.write('usage: embedded-resolver UPSTREAM... [--port N]   (UPSTREAM like 127.0.0.1:5300)\n');
  process.exit(2);
}
const dns = await startResolver({
  upstreams: args, port,
  onAnswer: (q) => process.stdout.write(`${q.name} ${q.type} ${q.rcode} cache=${q.cache}\n`),
});
process.stdout.write(`listening on ${dns.address}\n`);
const stop = () => { void dns.stop().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
