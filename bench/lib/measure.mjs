// One measured dnsperf run against one server: dnsperf's figures plus the server's CPU seconds and
// the queries the upstream received meanwhile.
import { dnsperf } from './dnsperf.mjs';

export async function measure(server, upstream, opts) {
  const up0 = await upstream.count();
  const cpu0 = server.cpu();
  const r = await dnsperf(server.port, opts);
  const cpu1 = server.cpu();
  const up1 = await upstream.count();
  const serverCpu = cpu1 - cpu0;
  return {
    ...r,
    server: server.label,
    serverCpu,
    serverCpuPct: (100 * serverCpu) / r.runTime,
    qpsPerCpu: r.completed / serverCpu,
    usPerQuery: (1e6 * serverCpu) / r.completed,
    upstreamQueries: up1.count - up0.count,
    upstreamTcp: up1.tcp - up0.tcp,
  };
}
