import { HistogramCounts, inZone, typeFromName, type ClientInfo, type DnsMessage, type HistogramSample, type Sample } from '@dnsmesh/core';
import { DURATION_BUCKETS, SIZE_BUCKETS } from './buckets.js';

/** Query types that get a series of their own (CoreDNS's monitorType, plus SVCB); the rest count as "other". */
export const MONITORED_TYPES = [
  'A', 'AAAA', 'CNAME', 'DNSKEY', 'DS', 'MX', 'NS', 'NSEC', 'NSEC3', 'PTR', 'RRSIG', 'SOA', 'SRV', 'TXT',
  'HTTPS', 'SVCB', 'IXFR', 'AXFR', 'ANY',
] as const;

/** The `type` label of each slot: the monitored types, then "other". */
export const TYPE_LABELS: readonly string[] = [...MONITORED_TYPES, 'other'];
const TYPES = TYPE_LABELS.length;
const OTHER = TYPES - 1;

/** Slot of every qtype, looked up once per query with no string work. */
const TYPE_SLOT = new Uint8Array(65536).fill(OTHER);
MONITORED_TYPES.forEach((name, slot) => { TYPE_SLOT[typeFromName(name)!] = slot; });

/** The `proto` and `family` labels (CoreDNS writes the address family number: 1 for IPv4, 2 for IPv6). */
export const PROTO_LABELS = ['udp', 'tcp'] as const;
export const FAMILY_LABELS = ['1', '2'] as const;

/** Rcodes with a preallocated slot; a rarer one (extended, >= 24) extends the array once. */
const RCODE_SLOTS = 24;

/** What one zone of a block counted. Plain numbers; metrics read them at scrape time. */
export class ZoneCounts {
  /** Requests by `(proto * 2 + family) * TYPES + type`. */
  readonly requests = new Float64Array(PROTO_LABELS.length * FAMILY_LABELS.length * TYPES);
  /** Responses by the plugin that wrote them ("" when none said), then by rcode. */
  readonly responses = new Map<string, number[]>();
  /** The plugin of the last response counted, and its array in `responses`. */
  lastPlugin: string | undefined;
  lastCounts: number[] = [];
  /** Request durations in seconds (CoreDNS's buckets), read at scrape time. */
  readonly duration = new HistogramCounts(DURATION_BUCKETS);
  /** Request and response sizes in bytes, by transport (udp, tcp). */
  readonly requestSize = [new HistogramCounts(SIZE_BUCKETS), new HistogramCounts(SIZE_BUCKETS)] as const;
  readonly responseSize = [new HistogramCounts(SIZE_BUCKETS), new HistogramCounts(SIZE_BUCKETS)] as const;

  constructor(readonly zone: string) {}
}

/**
 * The prometheus plugin's counters for one server block: one ZoneCounts per zone of the block,
 * most specific zone first. Counting a query allocates nothing (once a plugin name has been seen).
 */
export class QueryCounts {
  readonly zones: readonly ZoneCounts[];
  readonly #single: boolean;

  constructor(zones: readonly string[]) {
    const sorted = [...zones].sort((a, b) => b.length - a.length);
    this.zones = sorted.map((z) => new ZoneCounts(z));
    this.#single = sorted.length <= 1;
  }

  /** The block zone that holds the name (the most specific); the first zone when none does. */
  /** The query's zone; the presentation name is only made when the block has several zones. */
  zoneOf(request: DnsMessage): ZoneCounts {
    const zones = this.zones;
    if (this.#single) return zones[0]!;
    const lname = request.question!.lname;
    for (let i = 0; i < zones.length; i++) if (inZone(lname, zones[i]!.zone)) return zones[i]!;
    return zones[0]!;
  }

  request(zone: ZoneCounts, client: ClientInfo, qtype: number, size: number): void {
    const proto = client.transport === 'tcp' ? 1 : 0;
    const family = client.family === 6 ? 1 : 0;
    zone.requests[(proto * 2 + family) * TYPES + TYPE_SLOT[qtype]!]! += 1;
    zone.requestSize[proto].observe(size);
  }

  /** Series of the size histograms: one per zone and transport. */
  *sizeSamples(server: string, which: 'requestSize' | 'responseSize'): Iterable<HistogramSample> {
    for (const z of this.zones) {
      for (let p = 0; p < PROTO_LABELS.length; p++) yield [{ server, zone: z.zone, proto: PROTO_LABELS[p]! }, z[which][p as 0 | 1]];
    }
  }

  response(zone: ZoneCounts, plugin: string, rcode: number): void {
    // Most replies in a row come from one plugin (cache hits): skip the map for a repeat.
    let byRcode: number[] | undefined;
    if (zone.lastPlugin === plugin) byRcode = zone.lastCounts;
    else {
      byRcode = zone.responses.get(plugin);
      if (byRcode === undefined) {
        byRcode = new Array<number>(RCODE_SLOTS).fill(0);
        zone.responses.set(plugin, byRcode);
      }
      zone.lastPlugin = plugin;
      zone.lastCounts = byRcode;
    }
    const seen = byRcode[rcode];
    byRcode[rcode] = seen === undefined ? 1 : seen + 1;
  }

  /**
   * Series of `dnsmesh_dns_requests_total`. A zone that has counted nothing yet still shows its
   * udp/IPv4/A series at 0, so the metric exists as soon as the plugin is configured.
   */
  *requestSamples(server: string): Iterable<Sample> {
    for (const z of this.zones) {
      const r = z.requests;
      for (let i = 0; i < r.length; i++) {
        if (r[i] === 0 && i !== 0) continue;
        const type = TYPE_LABELS[i % TYPES]!;
        const pf = Math.floor(i / TYPES);
        yield [{ server, zone: z.zone, proto: PROTO_LABELS[pf >> 1]!, family: FAMILY_LABELS[pf & 1]!, type }, r[i]!];
      }
    }
  }

  /** Series of `dnsmesh_dns_responses_total`; NOERROR from plugin "" is there at 0 from the start. */
  *responseSamples(server: string, rcodeName: (rcode: number) => string): Iterable<Sample> {
    for (const z of this.zones) {
      if (!z.responses.has('')) yield [{ server, zone: z.zone, rcode: 'NOERROR', plugin: '' }, 0];
      for (const [plugin, byRcode] of z.responses) {
        for (let rcode = 0; rcode < byRcode.length; rcode++) {
          const n = byRcode[rcode];
          if (n === undefined || (n === 0 && !(plugin === '' && rcode === 0))) continue;
          yield [{ server, zone: z.zone, rcode: rcodeName(rcode), plugin }, n];
        }
      }
    }
  }
}

