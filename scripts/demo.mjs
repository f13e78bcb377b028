#!/usr/bin/env node
// `npm start`: an upstream on 127.0.0.1:5300 (the testkit's fake authoritative server for
// svc.test.) and dnsmesh in front of it on 127.0.0.1:1053, from the repo's Corefile.
// Nothing is sent anywhere but loopback.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fakeUpstream } from '@dnsmesh/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const big = Array.from({ length: 40 }, (_, i) => `10.0.1.${i + 1}`);
const upstream = await fakeUpstream({
  'web.svc.test A': { ttl: 0, data: ['10.0.0.10', '10.0.0.11', '10.0.0.12'] },
  'big.svc.test A': { ttl: 0, data: big },
  'api.svc.test SRV': { ttl: 30, data: [{ priority: 1, weight: 1, port: 8080, target: 'node1.svc.test' }] },
  'node1.svc.test A': { ttl: 30, data: ['10.0.0.21'] },
  'www.svc.test CNAME': { ttl: 60, data: ['web.svc.test'] },
}, { port: 5300, soa: { zone: 'svc.test', ttl: 60, minimum: 30 }, truncateUdpAt: 512 }).catch((err) => {
  console.error(`demo: cannot start the upstream on 127.0.0.1:5300: ${err.message}`);
  process.exit(1);
});

const server = spawn(process.execPath, [`${root}apps/server/dist/main.js`, '-conf', `${root}Corefile`], { stdio: 'inherit' });
console.log(`
dnsmesh demo: upstream (fake authoritative svc.test.) on ${upstream.address}, dnsmesh on 127.0.0.1:1053
Try:
  dig @127.0.0.1 -p 1053 web.svc.test          # TTL 0 upstream, cached for 5 s (MINTTL)
  dig @127.0.0.1 -p 1053 big.svc.test          # 40 records: truncated over UDP upstream, fetched over TCP, cached
  dig @127.0.0.1 -p 1053 big.svc.test +bufsize=4096
  dig @127.0.0.1 -p 1053 www.svc.test          # CNAME chain
  dig @127.0.0.1 -p 1053 example.com           # REFUSED: no block takes it
Ctrl-C stops both.`);
const stop = () => { server.kill('SIGTERM'); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', async (code) => { await upstream.close(); process.exit(code ?? 0); });
