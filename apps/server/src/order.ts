/**
 * The chain order (CoreDNS's plugin.cfg): a query meets these first to last, whatever the order
 * of lines in the Corefile. Directives that configure the server (plugin, bind, tcp, tls, health, ready,
 * admin, reload) take no place in the chain; they are listed so the registry knows them.
 * Plugins from packages are placed by their `before`/`after`.
 *
 * CoreDNS's places for chaos, loadbalance (before cache: it acts on the way out, so cached answers
 * spread too), rewrite, minimal, template, hosts and whoami; `loop` sits before cache, not just
 * before forward (see packages/loop/README.md: the cache merges a looping probe with itself).
 */
export const ORDER: readonly string[] = [
  'plugin', 'bind', 'tcp', 'tls', 'health', 'ready', 'admin', 'reload',
  'prometheus', 'log', 'errors', 'ratelimit', 'acl', 'norec', 'any', 'chaos', 'loadbalance', 'loop',
  'serve_stale', 'prefetch', 'cache', 'rewrite', 'minimal', 'template', 'hosts', 'tcp_retry', 'consul', 'forward', 'whoami',
];
