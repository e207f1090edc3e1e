// The network scan: TCP connect probes over hosts × ports with bounded concurrency, each open port
// confirmed by the handshake of its protocol (502 Modbus, 4840 OPC UA, 1883 MQTT, 8883 MQTT over
// TLS). On any other port the handshakes are tried in turn on fresh connections, cheapest to tell
// apart first: a Modbus read makes OPC UA servers and MQTT brokers hang up at once, a Hello makes a
// broker hang up, and TLS is tried last, only when no plain attempt met silence (a silent peer would
// only be silent again). OPC UA servers that acknowledged Hello are asked GetEndpoints after all
// probes are done: loading node-opcua stalls the event loop, which must not happen while other
// probes are timing their answers. Cancelling stops new probes, destroys open sockets and resolves
// with the completed results, marked cancelled.
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { isIPv4 } from 'node:net';
import { throttledProgress, type DiscoveryOptions } from '../../shared/discovery/progress.ts';
import { parseTargets, scanRequest, WELL_KNOWN_PORTS, type ScanProtocol, type ScanRequestInput, type ScanResult, type ScanTarget } from '../../shared/discovery/scan.ts';
import { modbusHandshake } from '../modbus/discovery/handshake.ts';
import { mqttHandshake, mqttTlsHandshake, type MqttHandshakeResult } from '../mqtt/discovery/handshake.ts';
import { createGetEndpointsClient, opcTcpUrl, opcuaHandshake, type HelloAnswer } from '../opcua/discovery/handshake.ts';
import { connectTcp, type HandshakeResult } from './probe-socket.ts';

type Protocol = Exclude<ScanProtocol, 'unknown'>;

export const PROTOCOL_LABELS: Readonly<Record<Protocol, string>> = { modbus: 'Modbus', opcua: 'OPC UA', mqtt: 'MQTT', 'mqtt-tls': 'MQTT over TLS' };

/** Plain handshakes tried on a port that is not well known, in this order. */
const GUESSES: readonly Protocol[] = ['modbus', 'opcua', 'mqtt'];

interface ProbeContext {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** OPC UA targets that acknowledged Hello, with their endpoint URL, for GetEndpoints afterwards. */
  readonly acknowledged: Map<ScanTarget, string>;
}

/** GetEndpoints calls in flight at once (each is a few round trips on one connection). */
const ENDPOINTS_CONCURRENCY = 4;

type Handshaken = HandshakeResult & Pick<ScanTarget, 'certificate'> & { readonly hello?: HelloAnswer };

/** Scans `request.targets` × `request.ports`. Never rejects for a target's sake; bad requests throw (zod, TargetsError). */
export async function scanNetwork(request: ScanRequestInput, options: DiscoveryOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const req = scanRequest.parse(request);
  const hosts = parseTargets(req.targets);
  const { ports } = req;
  const planned = hosts.length * ports.length;

  // One internal signal: every probe in flight listens to it, and it follows the caller's.
  const controller = new AbortController();
  setMaxListeners(2 * req.concurrency + 10, controller.signal);
  const onAbort = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const ctx: ProbeContext = { timeoutMs: req.timeoutMs, signal: controller.signal, acknowledged: new Map() };
  const progress = throttledProgress(options.onProgress, 100);
  const results: ScanTarget[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!controller.signal.aborted && next < planned) {
      const i = next++;
      const host = hosts[Math.floor(i / ports.length)]!;
      const port = ports[i % ports.length]!;
      const result = await probeTarget(host, port, ctx);
      if (!result) continue; // cut short by a cancel
      results.push(result);
      progress({ done: results.length, total: planned, message: `${host}:${port} ${result.confirmed ? PROTOCOL_LABELS[result.protocol as Protocol] : result.state}` });
    }
  };
  try {
    progress({ done: 0, total: planned, message: `${hosts.length} host(s) × ${ports.length} port(s)` }, true);
    await Promise.all(Array.from({ length: Math.min(req.concurrency, planned) }, worker));
    if (ctx.acknowledged.size > 0 && !controller.signal.aborted) {
      const updated = await addEndpoints(ctx, (message) => progress({ done: results.length, total: planned, message }));
      for (const [i, r] of results.entries()) results[i] = updated.get(r) ?? r;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const cancelled = controller.signal.aborted;
  progress({ done: results.length, total: planned, message: cancelled ? 'cancelled' : 'done' }, true);

  results.sort(compareTargets);
  const count = (state: ScanTarget['state']): number => results.filter((r) => r.state === state).length;
  return {
    hosts: hosts.length,
    ports,
    results,
    totals: {
      planned,
      probed: results.length,
      open: count('open'),
      confirmed: results.filter((r) => r.confirmed).length,
      closed: count('closed'),
      timeout: count('timeout'),
      error: count('error'),
    },
    cancelled,
    durationMs: Math.round(performance.now() - started),
  };
}

/** One host:port: connect, then the handshake(s). Undefined when cancelled before it finished. */
async function probeTarget(host: string, port: number, ctx: ProbeContext): Promise<ScanTarget | undefined> {
  const expected = WELL_KNOWN_PORTS[port];
  const base = { host, port, protocol: expected ?? ('unknown' as const), confirmed: false };
  try {
    const connected = await connectTcp(host, port, ctx.timeoutMs, ctx.signal);
    switch (connected.kind) {
      case 'aborted':
        return undefined;
      case 'closed':
        return { ...base, state: 'closed', latencyMs: connected.latencyMs };
      case 'timeout':
        return { ...base, state: 'timeout', error: `no answer to the TCP connect within ${ctx.timeoutMs} ms (filtered, or no such host)` };
      case 'error':
        return { ...base, state: 'error', error: connected.message };
    }
    const open = { ...base, state: 'open' as const, latencyMs: connected.latencyMs };
    if (expected) {
      const found = await handshake(expected, connected.socket, host, port, ctx);
      return found.answer === 'aborted' ? undefined : withHandshake(open, expected, found, ctx);
    }
    return await guess(open, connected.socket, ctx);
  } catch (err) {
    // A bug in a handshake must not end the scan: the target says what went wrong.
    return ctx.signal.aborted ? undefined : { ...base, state: 'error', error: `probe failed: ${(err as Error).message}` };
  }
}

/** Tries the handshakes in turn on a port that is not well known; the first confirmed one wins. */
async function guess(open: ScanTarget, first: Socket, ctx: ProbeContext): Promise<ScanTarget | undefined> {
  const failures: string[] = [];
  const tried: Protocol[] = [];
  let socket: Socket | undefined = first;
  let silent = false;
  for (const protocol of [...GUESSES, 'mqtt-tls' as const]) {
    if (protocol === 'mqtt-tls' && silent) break;
    if (!socket) {
      const again = await connectTcp(open.host, open.port, ctx.timeoutMs, ctx.signal);
      if (again.kind === 'aborted') return undefined;
      if (again.kind !== 'open') {
        failures.push(`${PROTOCOL_LABELS[protocol]}: could not connect again (${again.kind === 'error' ? again.message : again.kind})`);
        break;
      }
      socket = again.socket;
    }
    tried.push(protocol);
    const found = await handshake(protocol, socket, open.host, open.port, ctx);
    socket = undefined;
    if (found.answer === 'aborted') return undefined;
    if (found.confirmed) return withHandshake({ ...open, tried }, protocol, found, ctx);
    silent ||= found.answer === 'silent';
    failures.push(`${PROTOCOL_LABELS[protocol]}: ${found.error}`);
  }
  return { ...open, protocol: 'unknown', tried, error: `no handshake matched. ${failures.join('; ')}` };
}

async function handshake(protocol: Protocol, socket: Socket, host: string, port: number, ctx: ProbeContext): Promise<Handshaken> {
  const options = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
  switch (protocol) {
    case 'modbus':
      return modbusHandshake(socket, options);
    case 'mqtt':
      return mqttResult(await mqttHandshake(socket, options));
    case 'mqtt-tls':
      return mqttResult(await mqttTlsHandshake(socket, { ...options, servername: isIPv4(host) || host.includes(':') ? undefined : host }));
    case 'opcua':
      return opcuaHandshake(socket, { ...options, endpointUrl: opcTcpUrl(host, port) });
  }
}

/** GetEndpoints for each OPC UA server that acknowledged Hello; a failure stays on its target. */
async function addEndpoints(ctx: ProbeContext, report: (message: string) => void): Promise<Map<ScanTarget, ScanTarget>> {
  const client = createGetEndpointsClient();
  const updated = new Map<ScanTarget, ScanTarget>();
  const queue = [...ctx.acknowledged];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next && !ctx.signal.aborted; next = queue.shift()) {
      const [target, url] = next;
      report(`GetEndpoints ${url}`);
      try {
        const endpoints = await client.getEndpoints(url, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
        updated.set(target, { ...target, detail: `${target.detail}; ${describeEndpoints(endpoints)}`, endpoints });
      } catch (err) {
        if (!ctx.signal.aborted) updated.set(target, { ...target, error: (err as Error).message });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(ENDPOINTS_CONCURRENCY, queue.length) }, worker));
  } finally {
    await client.dispose();
  }
  return updated;
}

function mqttResult(found: MqttHandshakeResult): Handshaken {
  const { certificate, ...rest } = found;
  return certificate ? { ...rest, certificate } : rest;
}

/** "7 endpoint(s): None, Sign, SignAndEncrypt" (the policies are in `endpoints`). */
function describeEndpoints(endpoints: NonNullable<ScanTarget['endpoints']>): string {
  return `${endpoints.length} endpoint(s): ${[...new Set(endpoints.map((e) => e.securityMode))].join(', ')}`;
}

function withHandshake(open: ScanTarget, protocol: Protocol, found: Handshaken, ctx: ProbeContext): ScanTarget {
  const result: ScanTarget = {
    ...open,
    protocol: found.confirmed ? protocol : open.protocol,
    confirmed: found.confirmed,
    ...(found.detail ? { detail: found.detail } : {}),
    ...(found.error ? { error: found.error } : {}),
    ...(found.certificate ? { certificate: found.certificate } : {}),
  };
  if (found.hello?.kind === 'ack') ctx.acknowledged.set(result, opcTcpUrl(open.host, open.port));
  return result;
}

function compareTargets(a: ScanTarget, b: ScanTarget): number {
  return compareHosts(a.host, b.host) || a.port - b.port;
}

/** IPv4 addresses in numeric order, before names and IPv6 (in text order). */
export function compareHosts(a: string, b: string): number {
  const ka = isIPv4(a) ? a.split('.').reduce((n, o) => n * 256 + Number(o), 0) : undefined;
  const kb = isIPv4(b) ? b.split('.').reduce((n, o) => n * 256 + Number(o), 0) : undefined;
  if (ka !== undefined && kb !== undefined) return ka - kb;
  if (ka !== undefined) return -1;
  if (kb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
