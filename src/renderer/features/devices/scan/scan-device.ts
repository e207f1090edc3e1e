import { MAX_SCAN_PORTS, type ScanEndpoint, type ScanTarget } from '../../../../shared/discovery/scan.ts';
import { API_VERSION } from '../../../../shared/model/common.ts';

// The network scan dialog's pure parts: the ports field, and a project device made from a scan
// result (a device file without tags, for discovery.import's `create`).

/** "502, 4840 5020-5022": ports and inclusive ranges, separated by commas or spaces, without repeats. */
export function parsePorts(text: string): { ports: number[] } | { error: string } {
  const ports = new Set<number>();
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return { error: 'give at least one port' };
  for (const part of parts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const first = Number(m?.[1]);
    const last = m?.[2] === undefined ? first : Number(m[2]);
    if (!m || first < 1 || last > 65535 || last < first) return { error: `"${part}" is not a port (1–65535) or a range such as 5020-5030` };
    for (let p = first; p <= last; p++) ports.add(p);
    if (ports.size > MAX_SCAN_PORTS) return { error: `at most ${MAX_SCAN_PORTS} ports` };
  }
  return { ports: [...ports] };
}

export type DeviceProtocol = 'modbus' | 'opcua' | 'mqtt';

/** The device protocol a confirmed result speaks, if a project device can be made from it. */
export function deviceProtocol(t: ScanTarget): DeviceProtocol | undefined {
  if (!t.confirmed) return undefined;
  if (t.protocol === 'modbus' || t.protocol === 'opcua') return t.protocol;
  if (t.protocol === 'mqtt' || t.protocol === 'mqtt-tls') return 'mqtt';
  return undefined;
}

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** A free device id from the protocol and address ("modbus-127-0-0-11", then "-2", "-3", …). */
export function suggestDeviceId(t: ScanTarget, taken: ReadonlySet<string>): string {
  const base = `${deviceProtocol(t) ?? 'device'}-${t.host.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '').slice(0, 56);
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}

const MODES = ['None', 'Sign', 'SignAndEncrypt'];
const POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

/** The endpoint a new OPC UA device uses: an unsecured one when offered, else the first a device file can name. */
function pickEndpoint(endpoints: readonly ScanEndpoint[]): ScanEndpoint | undefined {
  const usable = endpoints.filter((e) => MODES.includes(e.securityMode) && POLICIES.includes(e.securityPolicy) && (e.securityMode === 'None') === (e.securityPolicy === 'None'));
  return usable.find((e) => e.securityMode === 'None') ?? usable[0];
}

/**
 * A device file without tags for a confirmed result, or undefined when the result is not a device
 * (unknown protocol, unconfirmed). The address is the one scanned: a server may advertise a host
 * name in its endpoint URLs that does not resolve from here, so only the URL's path is kept.
 */
export function deviceFromScan(t: ScanTarget, id: string): Record<string, unknown> | undefined {
  const protocol = deviceProtocol(t);
  if (!protocol) return undefined;
  const where = `${hostForUrl(t.host)}:${t.port}`;
  const header = { apiVersion: API_VERSION, kind: 'Device', id, ...(t.detail ? { description: `Found by a network scan: ${t.detail}` } : {}) };
  switch (protocol) {
    case 'modbus': {
      const unit = /^unit (\d+)/.exec(t.detail ?? '');
      return { ...header, protocol, transport: { kind: 'tcp', host: t.host, port: t.port }, unitId: unit ? Number(unit[1]) : 1 };
    }
    case 'opcua': {
      const endpoint = pickEndpoint(t.endpoints ?? []);
      const path = endpoint ? /^opc\.tcp:\/\/[^/]*(\/.*)?$/.exec(endpoint.url)?.[1] ?? '' : '';
      return {
        ...header,
        protocol,
        endpoint: `opc.tcp://${where}${path}`,
        securityMode: endpoint?.securityMode ?? 'None',
        securityPolicy: endpoint?.securityPolicy ?? 'None',
      };
    }
    case 'mqtt':
      return { ...header, protocol, url: `${t.protocol === 'mqtt-tls' ? 'mqtts' : 'mqtt'}://${where}` };
  }
}

/** The cache key of a scan is "<targets> ports <p1,p2,…>": back to the dialog's two fields. */
export function fieldsOfScanKey(key: string): { targets: string; ports: string } | undefined {
  const at = key.lastIndexOf(' ports ');
  if (at < 0) return undefined;
  return { targets: key.slice(0, at), ports: key.slice(at + 7).split(',').join(', ') };
}
