// A fake upstream (testkit's) on 127.0.0.1:PORT, started inside a test's network namespace:
//   node deploy/test/upstream.mjs PORT 'RECORD-TABLE-JSON'
// Prints "listening PORT", then one JSON line per query: {"name","type","transport"}.
import { fakeUpstream } from '../../packages/testkit/dist/index.js';

const [port, table] = [Number(process.argv[2]), JSON.parse(process.argv[3] ?? '{}')];
const upstream = await fakeUpstream(table, {
  port, ra: true,
  onQuery: (query, info) => { process.stdout.write(`${JSON.stringify({ name: query.questions?.[0]?.name, type: query.questions?.[0]?.type, transport: info.transport })}\n`); return undefined; },
});
process.stdout.write(`listening ${upstream.port}\n`);
process.on('SIGTERM', () => { upstream.close(); process.exit(0); });
