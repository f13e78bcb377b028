#!/usr/bin/env node
// `npm start`: a Consul simulator (DNS 127.0.0.1:8600, HTTP 127.0.0.1:8500, a few services, one of
// 40 instances) and dnsmesh in front of it on 127.0.0.1:1053, from the repo's Corefile.
// Nothing is sent anywhere but loopback.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadDemo, startConsulSim } from '@dnsmesh/consul-sim';

const root = fileURLToPath(new URL('..', import.meta.url));
const sim = await startConsulSim({ dnsPort: 8600, httpPort: 8500, dns_config: { enable_truncate: true } }).catch((err) => {
  console.error(`demo: cannot start the Consul simulator on 127.0.0.1:8600/8500: ${err.message}`);
  process.exit(1);
});
loadDemo(sim);

const server = spawn(process.execPath, [`${root}apps/server/dist/main.js`, '-conf', `${root}Corefile`], { stdio: 'inherit' });
console.log(`
dnsmesh demo: Consul simulator on ${sim.dnsAddress} (DNS) and ${sim.httpUrl} (HTTP); dnsmesh on 127.0.0.1:1053 (catalog mode) and :1054 (DNS mode)
Try:
  dig @127.0.0.1 -p 1053 web.service.consul           # 40 instances, from the local view (no RPC per lookup)
  dig @127.0.0.1 -p 1053 web.service.consul +bufsize=4096
  dig @127.0.0.1 -p 1053 _api._tcp.service.consul SRV  # SRV with targets and addresses
  dig @127.0.0.1 -p 1053 v2.api.service.consul         # by tag
  dig @127.0.0.1 -p 1054 web.service.consul           # DNS mode: Consul's DNS behind the cache (TTL 0 kept 5 s)
  curl -s http://127.0.0.1:9153/metrics | grep dnsmesh_ # metrics
  curl -s http://127.0.0.1:8053/cache                   # what the cache holds
  curl -s ${sim.httpUrl}/_sim/counters                  # what Consul was asked
Ctrl-C stops both.`);
const stop = () => { server.kill('SIGTERM'); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', async (code) => { await sim.close(); process.exit(code ?? 0); });
