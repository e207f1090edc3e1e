// The network scan against real servers on several 127.0.0.x addresses: our Modbus simulator, our
// OPC UA simulator on its well-known port 4840, our aedes broker, Debian's mosquitto (plain, with
// TLS, and refusing anonymous clients), and three misbehaving servers: one that answers garbage,
// one that resets the connection, one that accepts and never answers. Ports other than 4840 are
// not well known, so the scan finds their protocol by trying handshakes.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverScan } from '../../src/cli/commands/discover/scan.ts';
import { UsageError } from '../../src/cli/output.ts';
import { scanNetwork } from '../../src/connectors/discovery/scan.ts';
import type { DiscoveryProgress } from '../../src/shared/discovery/progress.ts';
import { scanResult, type ScanResult, type ScanTarget } from '../../src/shared/discovery/scan.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/net.ts';
import { cleanupTempDirs, startSim as startOpcuaSim } from '../helpers/opcua.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const HOLDING_0 = 123;
const TIMEOUT_MS = 1000;

interface RawServer {
  readonly server: Server;
  /** Connections open now, and accepted since start. */
  readonly open: Set<Socket>;
  readonly accepted: () => number;
}

/** A TCP server on `host` whose connections get `onData`. */
async function rawServer(host: string, port: number, onData: (socket: Socket) => void): Promise<RawServer> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
    socket.on('data', () => onData(socket));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return { server, open, accepted: () => accepted };
}

const closeServer = (s: RawServer): Promise<void> => {
  for (const socket of s.open) socket.destroy();
  return new Promise((resolve) => s.server.close(() => resolve()));
};

const simulator = (fields: Record<string, unknown>): Promise<RunningSimulator> =>
  startSimulator(simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'sim', ...fields }), { baseDir: process.cwd(), log: () => {} });

let modbus: RunningSimulator;
let opcua: Awaited<ReturnType<typeof startOpcuaSim>>;
let mqtt: RunningSimulator;
let garbage: RawServer;
let resetting: RawServer;
let silent: RawServer;
/** On 4840: one answers garbage, one acknowledges Hello and then resets (GetEndpoints fails). */
let garbage4840: RawServer;
let ackThenReset: RawServer;
let pki: TestPki;
/** The port the misbehaving servers share (on .34, .35, .36); .37 has nothing. */
let oddPort: number;
let targets: string;
let ports: number[];

beforeAll(async () => {
  // Made before the OPC UA simulator starts: node-opcua's PKI leaves OPENSSL_CONF="undefined" in
  // process.env, which breaks the openssl command afterwards.
  pki = makeTestPki();
  modbus = await simulator({ protocol: 'modbus', unitId: 1, bind: { host: '127.0.0.31', port: 0 }, points: [{ name: 'p0', area: 'holding', address: 0, value: HOLDING_0 }] });
  opcua = await startOpcuaSim({ bind: { host: '127.0.0.32', port: 4840 }, variables: [] });
  mqtt = await simulator({ protocol: 'mqtt', bind: { host: '127.0.0.33', port: 0 } });
  oddPort = await freePort('127.0.0.34');
  garbage = await rawServer('127.0.0.34', oddPort, (s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
  resetting = await rawServer('127.0.0.35', oddPort, (s) => s.resetAndDestroy());
  silent = await rawServer('127.0.0.36', oddPort, () => {});
  garbage4840 = await rawServer('127.0.0.34', 4840, (s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
  ackThenReset = await rawServer('127.0.0.35', 4840, (s) => {
    if (s.bytesWritten === 0) s.write(Buffer.concat([Buffer.from('ACKF'), Buffer.from('1c000000 00000000 00000100 00000100 00000000 00000000'.replaceAll(' ', ''), 'hex')]));
    else s.resetAndDestroy();
  });
  targets = '127.0.0.31-37';
  ports = [modbus.port, 4840, mqtt.port, oddPort];
});

afterAll(async () => {
  await Promise.all([garbage, resetting, silent, garbage4840, ackThenReset].map(closeServer));
  await Promise.all([modbus.stop(), opcua.stop(), mqtt.stop()]);
  cleanupTempDirs();
  pki.dispose();
});

const find = (result: ScanResult, host: string, port: number): ScanTarget => {
  const found = result.results.find((r) => r.host === host && r.port === port);
  if (!found) throw new Error(`no result for ${host}:${port} in ${JSON.stringify(result.results.map((r) => `${r.host}:${r.port}`))}`);
  return found;
};

/** Sockets and timers of this process, to see that a scan leaves none behind. */
const resources = (): { sockets: number; timers: number } => {
  const info = process.getActiveResourcesInfo();
  return { sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length, timers: info.filter((r) => r === 'Timeout').length };
};

describe('scanNetwork', () => {
  it('confirms each simulator by its handshake and gives every other target its own result', async () => {
    const before = resources();
    const progress: DiscoveryProgress[] = [];
    const result = await scanNetwork({ targets, ports, timeoutMs: TIMEOUT_MS }, { onProgress: (p) => progress.push(p) });

    expect(scanResult.parse(result)).toEqual(result);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.cancelled).toBe(false);
    expect(result.hosts).toBe(7);
    expect(result.totals).toMatchObject({ planned: 28, probed: 28, open: 8, confirmed: 4, closed: 20, timeout: 0, error: 0 });
    expect(result.results.map((r) => `${r.host}:${r.port}`)).toEqual(
      ['31', '32', '33', '34', '35', '36', '37'].flatMap((h) => [...ports].sort((a, b) => a - b).map((p) => `127.0.0.${h}:${p}`)),
    );

    expect(find(result, '127.0.0.31', modbus.port)).toMatchObject({
      state: 'open',
      protocol: 'modbus',
      confirmed: true,
      detail: `unit 1 answered (holding 0 = ${HOLDING_0})`,
      tried: ['modbus'],
    });

    // The well-known OPC UA port: Hello only, then GetEndpoints with the server certificate.
    const server = find(result, '127.0.0.32', 4840);
    expect(server).toMatchObject({ state: 'open', protocol: 'opcua', confirmed: true });
    expect(server.tried).toBeUndefined();
    expect(server.error).toBeUndefined();
    expect(server.detail).toMatch(/^ACK to Hello \(protocol 0, buffers \d+\/\d+\); \d+ endpoint\(s\): None, Sign, SignAndEncrypt$/);
    expect(new Set(server.endpoints!.map((e) => e.url))).toEqual(new Set([opcua.endpoint]));
    expect(server.endpoints!.map((e) => `${e.securityMode}/${e.securityPolicy}`)).toEqual(expect.arrayContaining(['None/None', 'Sign/Basic256Sha256', 'SignAndEncrypt/Basic256Sha256']));
    expect(new Set(server.endpoints!.map((e) => e.thumbprint))).toEqual(new Set([opcua.certificate.thumbprint]));
    expect(server.endpoints![0]!.userTokens).toContain('Anonymous');

    expect(find(result, '127.0.0.33', mqtt.port)).toMatchObject({
      state: 'open',
      protocol: 'mqtt',
      confirmed: true,
      detail: 'CONNACK 0 (MQTT 3.1.1)',
      tried: ['modbus', 'opcua', 'mqtt'],
    });

    // Garbage on an unknown port: every handshake says what it got; on 4840, only OPC UA was tried.
    const junk = find(result, '127.0.0.34', oddPort);
    expect(junk).toMatchObject({ state: 'open', protocol: 'unknown', confirmed: false, tried: ['modbus', 'opcua', 'mqtt', 'mqtt-tls'] });
    expect(junk.error).toContain('Modbus: answered, but not Modbus: MBAP protocol id 21584 (Modbus has 0) (first bytes "HTTP/1.1 400 Bad…")');
    expect(junk.error).toContain('OPC UA: answered, but not OPC UA: no ACK or ERR message');
    expect(junk.error).toContain('MQTT: answered, but not MQTT: packet type 4 instead of CONNACK (2)');
    expect(junk.error).toContain('MQTT over TLS: TLS handshake failed: wrong version number');

    // On a well-known port only its own handshake runs, and the port keeps its protocol.
    expect(find(result, '127.0.0.34', 4840)).toMatchObject({
      state: 'open',
      protocol: 'opcua',
      confirmed: false,
      error: 'answered, but not OPC UA: no ACK or ERR message (first bytes "HTTP/1.1 400 Bad…")',
    });
    // Hello acknowledged, so OPC UA is confirmed; the GetEndpoints that failed says so.
    const halfway = find(result, '127.0.0.35', 4840);
    expect(halfway).toMatchObject({ state: 'open', protocol: 'opcua', confirmed: true, detail: 'ACK to Hello (protocol 0, buffers 65536/65536)' });
    expect(halfway.error).toMatch(/^GetEndpoints failed: ./);
    expect(halfway.endpoints).toBeUndefined();

    const reset = find(result, '127.0.0.35', oddPort);
    expect(reset).toMatchObject({ state: 'open', protocol: 'unknown', confirmed: false });
    expect(reset.error).toContain('Modbus: reset the connection (ECONNRESET) during the Modbus read of unit 1');

    // Silence costs one timeout per plain handshake; TLS is not tried after silence.
    const mute = find(result, '127.0.0.36', oddPort);
    expect(mute).toMatchObject({ state: 'open', protocol: 'unknown', confirmed: false, tried: ['modbus', 'opcua', 'mqtt'] });
    expect(mute.error).toBe(
      `no handshake matched. Modbus: accepted the connection but did not answer the Modbus read of unit 1 within ${TIMEOUT_MS} ms; ` +
        `OPC UA: accepted the connection but did not answer the OPC UA Hello within ${TIMEOUT_MS} ms; ` +
        `MQTT: accepted the connection but did not answer the MQTT CONNECT within ${TIMEOUT_MS} ms`,
    );

    // Closed: by port number, 4840 stands for OPC UA even when nothing answers there.
    expect(find(result, '127.0.0.37', 4840)).toMatchObject({ state: 'closed', protocol: 'opcua', confirmed: false });
    expect(find(result, '127.0.0.37', oddPort)).toMatchObject({ state: 'closed', protocol: 'unknown', confirmed: false });
    expect(result.results.filter((r) => r.host === '127.0.0.37').every((r) => r.state === 'closed')).toBe(true);

    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ done: 28, total: 28, message: 'done' });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);

    // Nothing left behind: every probe socket and timer is gone.
    await waitFor(() => `resources back to ${JSON.stringify(before)}, now ${JSON.stringify(resources())}`, () => {
      const now = resources();
      return now.sockets <= before.sockets && now.timers <= before.timers && silent.open.size === 0;
    });
  });

  it('stops launching probes when cancelled and closes the sockets it has open', async () => {
    const controller = new AbortController();
    // One probe at a time, the silent server first: cancelled while it waits, nothing else starts.
    let seen = silent.accepted();
    const scan = scanNetwork({ targets: `127.0.0.36,127.0.0.37`, ports: [oddPort, ...ports], concurrency: 1, timeoutMs: 10_000 }, { signal: controller.signal });
    await waitFor('the silent server to get the probe', () => silent.accepted() > seen);
    controller.abort();
    const result = await scan;
    expect(result.cancelled).toBe(true);
    expect(result.results).toEqual([]);
    expect(result.totals).toMatchObject({ planned: 8, probed: 0 });
    await waitFor('the probe connection to close', () => silent.open.size === 0);

    // Cancelled part-way: what finished is kept.
    const later = new AbortController();
    seen = silent.accepted();
    const partial = scanNetwork({ targets: '127.0.0.37,127.0.0.36', ports: [oddPort], concurrency: 1, timeoutMs: 10_000 }, { signal: later.signal });
    await waitFor('the silent server to get the probe', () => silent.accepted() > seen);
    later.abort();
    const kept = await partial;
    expect(kept).toMatchObject({ cancelled: true, totals: { planned: 2, probed: 1, closed: 1 } });
    expect(kept.results).toEqual([expect.objectContaining({ host: '127.0.0.37', port: oddPort, state: 'closed' })]);
  });

  it('confirms Debian mosquitto: anonymous, refusing anonymous clients, and over TLS', async () => {
    const open = await startMosquitto();
    const closed = await startMosquitto({ extraConfig: 'allow_anonymous false' });
    const tls = await startMosquitto({ extraConfig: [`cafile ${pki.ca}`, `certfile ${pki.serverCert}`, `keyfile ${pki.serverKey}`].join('\n') });
    const before = resources();
    try {
      const result = await scanNetwork({ targets: '127.0.0.1', ports: [open.port, closed.port, tls.port], timeoutMs: TIMEOUT_MS });
      expect(find(result, '127.0.0.1', open.port)).toMatchObject({ protocol: 'mqtt', confirmed: true, detail: 'CONNACK 0 (MQTT 3.1.1)' });
      expect(find(result, '127.0.0.1', closed.port)).toMatchObject({
        protocol: 'mqtt',
        confirmed: true,
        detail: 'not authorised (CONNACK 5) – MQTT broker, credentials needed',
      });
      const secure = find(result, '127.0.0.1', tls.port);
      expect(secure).toMatchObject({ protocol: 'mqtt-tls', confirmed: true, tried: ['modbus', 'opcua', 'mqtt', 'mqtt-tls'] });
      expect(secure.certificate).toMatchObject({ subject: 'CN=127.0.0.1', issuer: 'CN=Plantbench test ca', verified: false });
      expect(secure.certificate!.fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
      expect(secure.detail).toBe('CONNACK 0 (MQTT 3.1.1) over TLS; certificate CN=127.0.0.1, issuer CN=Plantbench test ca (not verified)');
      await waitFor(() => `resources back to ${JSON.stringify(before)}, now ${JSON.stringify(resources())}`, () => {
        const now = resources();
        return now.sockets <= before.sockets && now.timers <= before.timers;
      });
    } finally {
      await Promise.all([open.stop(), closed.stop(), tls.stop()]);
    }
  });
});

it('loads node-opcua only once an OPC UA server has acknowledged Hello', async () => {
  // A child process records every node-opcua module Node resolves (as opcua-lazy-load.test.ts does).
  const child = `
    import { registerHooks } from 'node:module';
    const stack = new Set();
    registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context);
      if (/\\/node_modules\\/(node-opcua[^/]*|@node-opcua)\\//.test(result.url)) stack.add(result.url);
      return result;
    } });
    const { scanNetwork } = await import(process.env.SCAN_MODULE);
    const none = await scanNetwork({ targets: '127.0.0.37,127.0.0.34', ports: [4840] });
    const before = stack.size;
    const found = await scanNetwork({ targets: '127.0.0.32', ports: [4840] });
    process.stdout.write(JSON.stringify({ before, after: stack.size, open: none.totals.open, endpoints: found.results[0].endpoints?.length ?? 0 }));
  `;
  const output = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { env: { ...process.env, SCAN_MODULE: new URL('../../src/connectors/discovery/scan.ts', import.meta.url).href } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child failed (${code}): ${err}`))));
  });
  const seen = JSON.parse(output.slice(output.lastIndexOf('{"before"'))) as { before: number; after: number; open: number; endpoints: number };
  // The first scan met open ports (the garbage server on 4840) but no OPC UA server.
  expect(seen.open).toBeGreaterThan(0);
  expect(seen.before).toBe(0);
  expect(seen.endpoints).toBeGreaterThan(0);
  expect(seen.after).toBeGreaterThan(10);
});

describe('plantbench discover scan', () => {
  // Not spawnSync: the servers answering the child's probes live in this process.
  const run = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    const child = spawn(process.execPath, [BIN, 'discover', 'scan', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  };

  it('prints the scan result as JSON, open ports only unless --all', async () => {
    // The same setup without the silent server (it only costs time here).
    const { status, stdout } = await run(['127.0.0.31-35,127.0.0.37', '--ports', ports.join(','), '--timeout', `${TIMEOUT_MS}ms`, '--json']);
    expect(status).toBe(0);
    const result = scanResult.parse(JSON.parse(stdout));
    expect(result.totals).toMatchObject({ planned: 24, open: 7, confirmed: 4, closed: 17 });
    expect(result.results.every((r) => r.state === 'open')).toBe(true);
    expect(result.results.filter((r) => r.confirmed).map((r) => `${r.host}:${r.port} ${r.protocol}`)).toEqual([
      `127.0.0.31:${modbus.port} modbus`,
      '127.0.0.32:4840 opcua',
      `127.0.0.33:${mqtt.port} mqtt`,
      '127.0.0.35:4840 opcua',
    ]);
    expect(find(result, '127.0.0.32', 4840).endpoints!.map((e) => e.thumbprint)).toContain(opcua.certificate.thumbprint);
  });

  it('prints open ports per host, confirmed ones first, and says when nothing was found', async () => {
    const { status, stdout } = await run(['127.0.0.35,127.0.0.31', '--ports', `${oddPort},${modbus.port}`]);
    expect(status).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('127.0.0.31');
    expect(lines[1]).toMatch(new RegExp(`^\\s+${modbus.port}\\s+Modbus\\s+confirmed\\s+unit 1 answered \\(holding 0 = ${HOLDING_0}\\)`));
    expect(lines[2]).toBe('127.0.0.35');
    expect(lines[3]).toMatch(new RegExp(`^\\s+${oddPort}\\s+\\?\\s+open\\s+no handshake matched\\. Modbus: reset the connection`));
    expect(stdout).toMatch(/Scanned 4 port\(s\) on 2 host\(s\) in [\d.]+ s: 2 open \(1 Modbus confirmed\), 2 closed\./);

    const none = await run(['127.0.0.37', '--ports', String(oddPort), '--all']);
    expect(none.status).toBe(0);
    expect(none.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.37\\n\\s+${oddPort}\\s+\\?\\s+closed`));
    expect(none.stdout).toContain('No open ports found');
  });

  it('refuses bad targets and options with exit code 2, before probing anything', async () => {
    const { status, stderr, stdout } = await run(['10.0.0.0/8']);
    expect(status).toBe(2);
    expect(stderr).toContain('plantbench: discover scan: "10.0.0.0/8" is 16,777,214 addresses; a scan takes at most 65,536 (a /16): narrow the range');
    expect(stdout).toBe('');
    // The same checks in this process (main turns a UsageError into exit code 2, as above).
    for (const [args, message] of [
      [['127.0.0.300'], 'discover scan: "127.0.0.300": octet 300 is out of range (0–255)'],
      [[], 'discover scan needs targets'],
      [['127.0.0.1', '--ports', '502,http'], '--ports: "http" is not a port or a range of ports (502, 15000-15010)'],
      [['127.0.0.1', '--ports', '70000'], '--ports: Too big'],
      [['127.0.0.1', '--ports', '20-10'], '--ports: the range "20-10" ends before it starts'],
      [['127.0.0.1', '--timeout', 'soon'], '--timeout needs a duration such as 500ms or 2s, got "soon"'],
      [['127.0.0.1', '--timeout', '10ms'], '--timeout: Too small'],
      [['127.0.0.1', '--concurrency', '0'], '--concurrency: Too small'],
    ] as const) {
      await expect(discoverScan(args), args.join(' ')).rejects.toThrow(new UsageError(message).message);
      await expect(discoverScan(args)).rejects.toBeInstanceOf(UsageError);
    }
  });

  it('prints partial results on Ctrl-C and exits 130', async () => {
    const seenBefore = silent.accepted();
    const child = spawn(process.execPath, [BIN, 'discover', 'scan', '127.0.0.37,127.0.0.36', '--ports', String(oddPort), '--concurrency', '1', '--timeout', '10s', '--json', '--all'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    await waitFor('the silent server to get the probe', () => silent.accepted() > seenBefore, 30_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const result = scanResult.parse(JSON.parse(stdout));
    expect(result.cancelled).toBe(true);
    expect(result.results.map((r) => `${r.host} ${r.state}`)).toEqual(['127.0.0.37 closed']);
  });
});
