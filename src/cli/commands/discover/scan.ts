// `plantbench discover scan <cidr|host-range>...`: which hosts answer on the Modbus, OPC UA and MQTT
// ports, each open port confirmed by a protocol handshake. Open ports are printed per host
// (confirmed ones first); --all adds closed, filtered and unreachable ones.
import { compareHosts, PROTOCOL_LABELS, scanNetwork } from '../../../connectors/discovery/scan.ts';
import { DEFAULT_SCAN_PORTS, MAX_SCAN_PORTS, parseTargets, scanRequest, TargetsError, type ScanResult, type ScanTarget } from '../../../shared/discovery/scan.ts';
import { paint, parseCommandArgs, printJson, UsageError } from '../../output.ts';
import { cancelOnSigint, parseDuration, progressBar } from '../../progress.ts';

export const SCAN_HELP = `Usage: plantbench discover scan <cidr|host-range|host>... [options]

Probes each host on the given TCP ports and confirms what answers with a protocol handshake:
Modbus read of unit 1 (502), OPC UA Hello + GetEndpoints (4840), MQTT CONNECT (1883, 8883 over TLS).
On other ports the handshakes are tried in turn.

Targets: 192.168.1.0/24, 192.168.1.10-20, 192.168.1.10-192.168.1.40, plc-7.local, or a comma-separated
list (at most 65,536 addresses).

Options:
  --ports LIST        Ports to probe on each host (default ${DEFAULT_SCAN_PORTS.join(',')}); ranges allowed: 15000-15010.
  --timeout TIME      Bound of the connect and of each handshake (default 1000 ms; "500ms", "2s").
  --concurrency N     Probes in flight at once (default 64, at most 512).
  --all               Also list closed, filtered and unreachable ports.
  --json              The scan result as JSON on stdout (open ports only unless --all).
  -h, --help          This help.

Exit code: 0 the scan completed (found something or not), 2 usage error, 130 cancelled with Ctrl-C
(partial results are printed).
`;

export async function discoverScan(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      all: { type: 'boolean', default: false },
      ports: { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
    },
    SCAN_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length === 0) throw new UsageError('discover scan needs targets: a CIDR block (192.168.1.0/24), a range (192.168.1.10-20) or a host');
  const targets = positionals.join(',');
  let hosts: number;
  try {
    hosts = parseTargets(targets).length;
  } catch (err) {
    if (err instanceof TargetsError) throw new UsageError(`discover scan: ${err.message}`);
    throw err;
  }
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (timeoutMs === undefined && values.timeout !== undefined) throw new UsageError(`--timeout needs a duration such as 500ms or 2s, got "${values.timeout}"`);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  const parsed = scanRequest.safeParse({ targets, ports: values.ports === undefined ? undefined : parsePorts(values.ports), timeoutMs, concurrency });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = { ports: '--ports', timeoutMs: '--timeout', concurrency: '--concurrency' }[String(issue.path[0])] ?? String(issue.path[0]);
    throw new UsageError(`${option}: ${issue.message}`);
  }
  const request = parsed.data;

  const bar = progressBar('scan');
  const sigint = cancelOnSigint();
  let result: ScanResult;
  try {
    if (!values.json) process.stderr.write(paint('dim', `Scanning ${hosts} host(s) × ${request.ports.length} port(s), timeout ${request.timeoutMs} ms…\n`, process.stderr));
    result = await scanNetwork(request, { signal: sigint.signal, onProgress: bar.update });
  } finally {
    bar.done();
    sigint.dispose();
  }
  const shown = values.all ? result.results : result.results.filter((r) => r.state === 'open');
  if (values.json) printJson({ ...result, results: shown });
  else process.stdout.write(formatScan(result, shown));
  return result.cancelled ? 130 : 0;
}

/** "502,4840" or "15000-15010,502" → port numbers (validated by the request schema). */
function parsePorts(text: string): number[] {
  const ports: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`--ports: "${part}" is not a port or a range of ports (502, 15000-15010)`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new UsageError(`--ports: the range "${part}" ends before it starts`);
    if (last - first >= MAX_SCAN_PORTS) throw new UsageError(`--ports: "${part}" is more than ${MAX_SCAN_PORTS} ports`);
    for (let p = first; p <= last; p++) ports.push(p);
  }
  if (ports.length === 0) throw new UsageError('--ports needs at least one port');
  return ports;
}

const STATE_STYLE = { open: 'green', closed: 'dim', timeout: 'yellow', error: 'red' } as const;

/** Per host, hosts with a confirmed protocol first; within a host, confirmed ports first. */
export function formatScan(result: ScanResult, shown: readonly ScanTarget[]): string {
  const byHost = new Map<string, ScanTarget[]>();
  for (const r of shown) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  const confirmed = (rs: readonly ScanTarget[]): boolean => rs.some((r) => r.confirmed);
  const hosts = [...byHost.entries()].sort(([a, ra], [b, rb]) => Number(confirmed(rb)) - Number(confirmed(ra)) || compareHosts(a, b));
  const lines: string[] = [];
  for (const [host, targets] of hosts) {
    lines.push(paint('bold', host));
    for (const t of [...targets].sort((a, b) => Number(b.confirmed) - Number(a.confirmed) || a.port - b.port)) lines.push(...formatTarget(t));
  }
  const t = result.totals;
  const byProtocol = Object.entries(PROTOCOL_LABELS)
    .map(([p, label]) => [label, result.results.filter((r) => r.confirmed && r.protocol === p).length] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${n} ${label}`);
  const seconds = (result.durationMs / 1000).toFixed(1);
  const counts = [`${t.open} open${t.confirmed ? ` (${byProtocol.join(', ')} confirmed)` : ''}`, `${t.closed} closed`];
  if (t.timeout) counts.push(`${t.timeout} filtered or no host`);
  if (t.error) counts.push(`${t.error} unreachable`);
  if (lines.length) lines.push('');
  if (result.cancelled) lines.push(paint('yellow', `Cancelled after ${t.probed} of ${t.planned} probe(s) in ${seconds} s: ${counts.join(', ')}.`));
  else lines.push(`Scanned ${t.planned} port(s) on ${result.hosts} host(s) in ${seconds} s: ${counts.join(', ')}.`);
  if (!result.cancelled && t.open === 0) lines.push('No open ports found: nothing answers on these ports (check the range, the ports and any firewall).');
  if (!result.cancelled && shown.length < result.results.length && t.open > 0) lines.push(paint('dim', 'Closed and filtered ports are hidden; --all lists them.'));
  return `${lines.join('\n')}\n`;
}

function formatTarget(t: ScanTarget): string[] {
  const label = t.protocol === 'unknown' ? '?' : PROTOCOL_LABELS[t.protocol];
  const mark = t.confirmed ? paint('green', 'confirmed') : paint(STATE_STYLE[t.state], t.state.padEnd(9));
  const what = t.confirmed ? t.detail : (t.error ?? t.detail ?? '');
  const guessed = t.confirmed && t.tried ? paint('dim', ` (port not well known; tried ${t.tried.map((p) => PROTOCOL_LABELS[p as keyof typeof PROTOCOL_LABELS]).join(', ')})`) : '';
  const lines = [`  ${String(t.port).padStart(5)}  ${label.padEnd(13)} ${mark}  ${what}${guessed}`];
  const indent = ' '.repeat(9);
  if (t.confirmed && t.error) lines.push(paint('yellow', `${indent}${t.error}`));
  if (t.endpoints) {
    for (const url of new Set(t.endpoints.map((e) => e.url))) {
      const here = t.endpoints.filter((e) => e.url === url);
      const security = [...new Set(here.map((e) => (e.securityMode === 'None' ? 'None' : `${e.securityMode}/${e.securityPolicy}`)))];
      const tokens = [...new Set(here.flatMap((e) => e.userTokens))];
      lines.push(`${indent}${url}`);
      lines.push(paint('dim', `${indent}  security: ${security.join(', ')}`));
      if (tokens.length) lines.push(paint('dim', `${indent}  user tokens: ${tokens.join(', ')}`));
    }
    for (const thumbprint of new Set(t.endpoints.flatMap((e) => (e.thumbprint ? [e.thumbprint] : [])))) {
      lines.push(paint('dim', `${indent}server certificate SHA-1 ${thumbprint}`));
    }
  }
  return lines;
}
