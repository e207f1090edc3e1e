import { z } from 'zod';

// The network scan: which hosts and ports to probe, and what each probe found. Pure (no Node), so the
// renderer builds requests and shows results with the same shapes the host validates.

/** The protocols a handshake can confirm; 'unknown' when none did (or none was tried). */
export const SCAN_PROTOCOLS = ['modbus', 'opcua', 'mqtt', 'mqtt-tls', 'unknown'] as const;
export type ScanProtocol = (typeof SCAN_PROTOCOLS)[number];

/** The well-known port of each protocol: a port listed here gets only its own handshake. */
export const WELL_KNOWN_PORTS: Readonly<Record<number, Exclude<ScanProtocol, 'unknown'>>> = { 502: 'modbus', 4840: 'opcua', 1883: 'mqtt', 8883: 'mqtt-tls' };

export const DEFAULT_SCAN_PORTS = [502, 4840, 1883, 8883];

/** A /16: a typo such as /8 is refused at once instead of probing 16 million addresses. */
export const MAX_SCAN_ADDRESSES = 65_536;
export const MAX_SCAN_PORTS = 1024;

export class TargetsError extends Error {}

/**
 * Expands scan targets into host names or addresses, in the order given, without duplicates.
 * Accepts a comma- or space-separated list of: IPv4 CIDR blocks (127.0.0.0/29: the network and
 * broadcast addresses are left out for prefixes up to /30), ranges (127.0.0.10-127.0.0.20 or
 * 127.0.0.10-20), single IPv4 or IPv6 addresses, and host names. Throws TargetsError naming the bad
 * part, or when the list would exceed `max` addresses.
 */
export function parseTargets(text: string, max = MAX_SCAN_ADDRESSES): string[] {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) throw new TargetsError('no targets: give a CIDR block (127.0.0.0/29), a range (127.0.0.10-20) or a host');
  const blocks = parts.map(parsePart);
  const count = blocks.reduce((sum, b) => sum + (typeof b === 'string' ? 1 : b.last - b.first + 1), 0);
  if (count > max) {
    throw new TargetsError(`"${text.trim()}" is ${count.toLocaleString('en-US')} addresses; a scan takes at most ${max.toLocaleString('en-US')} (a /16): narrow the range`);
  }
  const hosts = new Set<string>();
  for (const b of blocks) {
    if (typeof b === 'string') hosts.add(b);
    else for (let n = b.first; n <= b.last; n++) hosts.add(formatIpv4(n));
  }
  return [...hosts];
}

/** An inclusive block of IPv4 addresses as 32-bit numbers, or one host (name or address). */
function parsePart(part: string): { first: number; last: number } | string {
  const cidr = /^([\d.]+)\/(\d+)$/.exec(part);
  if (cidr) {
    const base = parseIpv4(cidr[1]!, part);
    const prefix = Number(cidr[2]);
    if (prefix > 32) throw new TargetsError(`"${part}": the prefix length must be 0–32`);
    const size = 2 ** (32 - prefix);
    const first = base - (base % size);
    const last = first + size - 1;
    return prefix <= 30 ? { first: first + 1, last: last - 1 } : { first, last };
  }
  const range = /^([\d.]+)-([\d.]+)$/.exec(part);
  if (range) {
    const first = parseIpv4(range[1]!, part);
    const endText = range[2]!;
    // "127.0.0.10-20": the end replaces the last octet(s) of the start.
    const endOctets = endText.split('.');
    if (endOctets.length > 4) throw new TargetsError(`"${part}": "${endText}" is not an IPv4 address or last octet`);
    const startOctets = formatIpv4(first).split('.');
    const last = parseIpv4([...startOctets.slice(0, 4 - endOctets.length), ...endOctets].join('.'), part);
    if (last < first) throw new TargetsError(`"${part}": the range ends before it starts`);
    return { first, last };
  }
  if (/^[\d.]+$/.test(part)) return formatIpv4(parseIpv4(part, part));
  if (isIpv6(part)) return part.replace(/^\[|\]$/g, '');
  if (isHostName(part)) return part.toLowerCase();
  throw new TargetsError(`"${part}" is not a CIDR block, an address range, an address or a host name`);
}

function parseIpv4(text: string, part: string): number {
  const octets = text.split('.');
  if (octets.length !== 4 || octets.some((o) => !/^\d{1,3}$/.test(o))) throw new TargetsError(`"${part}": "${text}" is not an IPv4 address (a.b.c.d)`);
  let n = 0;
  for (const o of octets) {
    const v = Number(o);
    if (v > 255) throw new TargetsError(`"${part}": octet ${v} is out of range (0–255)`);
    n = n * 256 + v;
  }
  return n;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function isIpv6(text: string): boolean {
  const bare = text.replace(/^\[|\]$/g, '');
  return bare.includes(':') && /^[0-9a-fA-F:.]+$/.test(bare) && (bare.match(/::/g)?.length ?? 0) <= 1;
}

function isHostName(text: string): boolean {
  return text.length <= 253 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(text) && !/^[\d.]+$/.test(text);
}

export const scanRequest = z
  .object({
    /** CIDR (127.0.0.0/29), range (127.0.0.10-20), host, or a comma-separated list of these. */
    targets: z.string().superRefine((text, ctx) => {
      try {
        parseTargets(text);
      } catch (err) {
        if (!(err instanceof TargetsError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    }),
    /** Only these ports are probed on each host. */
    ports: z
      .array(z.number().int().min(1).max(65535))
      .min(1)
      .max(MAX_SCAN_PORTS)
      .default(DEFAULT_SCAN_PORTS)
      .transform((ports) => [...new Set(ports)]),
    /** Probes in flight at once. */
    concurrency: z.number().int().min(1).max(512).default(64),
    /** Bound of each step: the TCP connect, then each handshake. */
    timeoutMs: z.number().int().min(50).max(60_000).default(1000),
  })
  .strict();
export type ScanRequest = z.infer<typeof scanRequest>;
/** What a caller writes: defaults may be left out. */
export type ScanRequestInput = z.input<typeof scanRequest>;

/** One OPC UA endpoint from GetEndpoints. */
export const scanEndpoint = z
  .object({
    url: z.string(),
    securityMode: z.string(),
    /** Short policy name: None, Basic256Sha256, Aes128_Sha256_RsaOaep, … */
    securityPolicy: z.string(),
    /** SHA-1 thumbprint of the server certificate, lowercase hex. */
    thumbprint: z.string().optional(),
    /** User token types the endpoint accepts: Anonymous, UserName, Certificate, IssuedToken. */
    userTokens: z.array(z.string()),
  })
  .strict();
export type ScanEndpoint = z.infer<typeof scanEndpoint>;

export const scanTarget = z
  .object({
    host: z.string(),
    port: z.number().int(),
    /** TCP: open (connected), closed (refused), timeout (no answer to the connect), error (unreachable, unresolvable, …). */
    state: z.enum(['open', 'closed', 'timeout', 'error']),
    /** What the handshake confirmed; on a well-known port without confirmation, the protocol the port stands for. */
    protocol: z.enum(SCAN_PROTOCOLS),
    confirmed: z.boolean(),
    /** What the device said, for people: "unit 1 answered (holding 0 = 123)", "CONNACK 0 (MQTT 3.1.1)". */
    detail: z.string().optional(),
    /** Why the probe or handshake failed (garbage, reset, silence, refused). */
    error: z.string().optional(),
    /** On a port that is not well known: the handshakes tried, in order (when confirmed, the last one matched). */
    tried: z.array(z.enum(SCAN_PROTOCOLS)).optional(),
    /** TCP connect round trip. */
    latencyMs: z.number().min(0).optional(),
    /** OPC UA: the endpoints from GetEndpoints. */
    endpoints: z.array(scanEndpoint).optional(),
    /** MQTT over TLS: the broker certificate, shown but not verified. */
    certificate: z.object({ subject: z.string(), issuer: z.string(), fingerprint: z.string(), verified: z.literal(false) }).strict().optional(),
  })
  .strict();
export type ScanTarget = z.infer<typeof scanTarget>;

export const scanResult = z
  .object({
    /** The expanded request. */
    hosts: z.number().int().min(0),
    ports: z.array(z.number().int()),
    /** Completed probes, sorted by host then port; probes cut short by a cancel are left out. */
    results: z.array(scanTarget),
    totals: z
      .object({
        /** Probes planned (hosts × ports) and completed. */
        planned: z.number().int().min(0),
        probed: z.number().int().min(0),
        open: z.number().int().min(0),
        confirmed: z.number().int().min(0),
        closed: z.number().int().min(0),
        timeout: z.number().int().min(0),
        error: z.number().int().min(0),
      })
      .strict(),
    cancelled: z.boolean(),
    durationMs: z.number().min(0),
  })
  .strict();
export type ScanResult = z.infer<typeof scanResult>;
