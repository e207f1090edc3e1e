// Discovery over the RPC contract, as the UI uses it: the real workbench host on a copy of the
// example project, a client over a port pair, a real Modbus simulator. Progress arrives as events,
// a cancel stops a probe, results land in the workspace DB cache, and imports and snapshots are
// written into the project and validated. Device captures and sessions take their connection and
// resolved ${secret:…} credentials from the device file (Debian's mosquitto with a password, an OPC
// UA simulator that refuses anonymous sessions).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src/host/workbench.ts';
import { rangesToRows, snapshotProfile, toModbusTags, type ModbusProbeResult } from '../../src/shared/discovery/modbus.ts';
import type { MqttCaptureResult, MqttTreeQuery } from '../../src/shared/discovery/mqtt.ts';
import { opcuaUntrustedCertificate } from '../../src/shared/discovery/opcua.ts';
import { createRpcClient } from '../../src/shared/rpc/client.ts';
import type { ResponseOf } from '../../src/shared/rpc/define.ts';
import type { Events, Methods, WorkbenchClient } from '../../src/shared/rpc/contract.ts';
import { memoryPortPair, RpcError } from '../../src/shared/rpc/wire.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { loadProject } from '../../src/store/project.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.ts';
import { startOpcuaSimulator, type OpcuaSimulatorProfile } from '../../src/simulators/opcua/index.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startSim } from '../helpers/modbus.ts';
import { passwordConfig, startMosquitto } from '../helpers/mosquitto.ts';
import { testClient } from '../helpers/mqtt.ts';
import { copyExample } from '../helpers/project.ts';
import { waitFor } from '../helpers/wait.ts';

const POINTS = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, area: 'holding', address: 200 + i, type: 'uint16', value: 700 + i })),
  { name: 'temp', area: 'input', address: 10, type: 'float32', value: 21.5 },
];

/** What the host's secret lookup knows (as the desktop keychain or a gateway's secrets file would). */
const SECRETS: Record<string, string> = { 'secret:UNS_PASSWORD': 'pw-1234', 'env:UNS_USER': 'line', 'secret:CAPPER_PW': 's3cret' };

const cleanups = cleanupAfterEach();
let sim: RunningModbusSimulator;
let project: ReturnType<typeof copyExample>;
let workbench: Workbench;
let client: WorkbenchClient;

beforeAll(async () => {
  sim = await startSim(POINTS, { unitId: 1 });
  project = copyExample();
  workbench = createWorkbench({ projectRoot: project.root, secrets: (kind, name) => SECRETS[`${kind}:${name}`] });
  const [hostPort, clientPort] = memoryPortPair();
  workbench.rpc.connect(hostPort);
  client = createRpcClient<Methods, Events>(clientPort);
});
afterAll(async () => {
  client?.close();
  await workbench?.close();
  await sim?.stop();
  project?.dispose();
});

const target = () => ({ transport: { kind: 'tcp' as const, host: '127.0.0.1', port: sim.port }, timeoutMs: 500 });

type TreeAnswer = ResponseOf<Methods, 'discovery.mqtt.tree'>;
/** Polls discovery.mqtt.tree until `ok` holds for its answer. */
async function treeWhen(captureId: string, query: MqttTreeQuery, what: string, ok: (t: TreeAnswer) => boolean): Promise<TreeAnswer> {
  let last: TreeAnswer | undefined;
  await waitFor(
    () => `${what} (last answer: ${JSON.stringify(last && { ...last, tree: last.tree?.path })})`,
    () => last !== undefined && ok(last),
    10_000,
    async () => {
      last = await client.call('discovery.mqtt.tree', { captureId, query });
    },
  );
  return last!;
}

/** Debian's mosquitto that wants user "line" with password pw-1234. */
async function lockedBroker() {
  const passwd = passwordConfig('line', 'pw-1234');
  cleanups.push(() => passwd.dispose());
  const broker = await startMosquitto({ extraConfig: passwd.config });
  cleanups.push(() => broker.stop());
  return broker;
}

describe('discovery over RPC', () => {
  it('browses an OPC UA server lazily and captures an MQTT topic tree live', async () => {
    const loaded = loadProject(project.root);
    const started: RunningSimulator[] = [];
    try {
      for (const id of ['capper', 'palletizer']) {
        const profile = [...loaded.simulators.values()].map((e) => e.model!).find((m) => m.id === id)!;
        started.push(await startSimulator({ ...profile, bind: { host: '127.0.0.1', port: 0 } }, { baseDir: project.root, log: () => {} }));
      }
      const [opcua, mqtt] = started as [RunningSimulator, RunningSimulator];
      const target = { endpointUrl: opcua.endpoint };
      const objects = await client.call('discovery.opcua.browse', { target, nodeId: 'i=85' });
      expect(JSON.stringify(objects.references.map((r) => r.browseName))).toMatch(/Capper/);
      const cached = await client.call('discovery.last', { kind: 'opcua.browse', target: `${opcua.endpoint} i=85` });
      expect(cached).not.toBeNull();

      const { captureId } = await client.call('discovery.mqtt.start', { url: mqtt.endpoint, topics: ['#'] });
      let tree: Awaited<ReturnType<WorkbenchClient['call']>> | undefined;
      for (let i = 0; i < 50; i++) {
        tree = await client.call('discovery.mqtt.tree', { captureId });
        if ((tree as { messages: number }).messages > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((tree as { messages: number }).messages).toBeGreaterThan(0);
      // The simulator (aedes) speaks MQTT 3.1.1 only: the live tree says the capture fell back.
      expect(tree).toMatchObject({ connected: true, warnings: [expect.stringMatching(/^the broker refused MQTT 5; captured with MQTT 3\.1\.1/)] });
      const result = await client.call('discovery.mqtt.stop', { captureId });
      expect(result.totals.topics).toBeGreaterThan(0);
      await expect(client.call('discovery.mqtt.tree', { captureId })).rejects.toMatchObject({ code: 'failed' });
    } finally {
      await Promise.allSettled(started.map((s) => s.stop()));
    }
  });

  it("captures a device's broker with its ${secret:…}/${env:…} credentials resolved by the host, full payloads of one topic, and the connection state", async () => {
    const broker = await lockedBroker();
    const device = (id: string, extra: string) =>
      project.write(`devices/${id}.yaml`, `apiVersion: plantbench/v1\nkind: Device\nid: ${id}\nprotocol: mqtt\nurl: ${broker.url}\nclientId: ${id}-line-1\n${extra}`);
    device('secure-broker', 'username: ${env:UNS_USER}\npassword: ${secret:UNS_PASSWORD}\n');
    device('locked-broker', 'username: line\npassword: ${secret:NOT_SET}\n');

    // A reference nobody can resolve fails the start, naming it and where it is; typed credentials stand in for it.
    await expect(client.call('discovery.mqtt.start', { deviceId: 'locked-broker', topics: ['plant/#'] })).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringMatching(/^devices\/locked-broker\.yaml:8:\d+ password: unresolved \$\{secret:NOT_SET\}: provide secret NOT_SET/),
    });
    const typed = await client.call('discovery.mqtt.start', { deviceId: 'locked-broker', topics: ['plant/#'], password: 'pw-1234' });
    await client.call('discovery.mqtt.stop', { captureId: typed.captureId });
    // The device's own connection fields are not taken from the request.
    await expect(client.call('discovery.mqtt.start', { deviceId: 'secure-broker', url: 'mqtt://127.0.0.1:1' })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(client.call('discovery.mqtt.start', { deviceId: 'capper', topics: ['#'] })).rejects.toMatchObject({ message: /speaks opcua, not mqtt/ });

    const { captureId } = await client.call('discovery.mqtt.start', { deviceId: 'secure-broker', topics: ['plant/#'], limits: { maxPayloadBytes: 512 } });
    await expect(client.call('discovery.mqtt.tree', { captureId })).resolves.toMatchObject({ connected: true, warnings: [] });

    const publisher = await testClient(broker.url, [], { username: 'line', password: 'pw-1234' });
    cleanups.push(() => publisher.end());
    const json = JSON.stringify({ value: 1, note: 'x'.repeat(300) });
    const long = 'y'.repeat(1000);
    await publisher.publish('plant/json', json);
    await publisher.publish('plant/long', long);
    // Without payloads the tree carries previews; with them, the kept payload of one topic.
    const preview = await treeWhen(captureId, { under: 'plant/json', depth: 0 }, 'plant/json', (t) => t.tree?.last !== undefined);
    expect(preview.tree!.last).toMatchObject({ size: json.length, truncated: false });
    expect(preview.tree!.last!.payload).toBeUndefined();
    expect(preview.tree!.last!.preview.length).toBeLessThan(json.length);
    const full = await client.call('discovery.mqtt.tree', { captureId, query: { under: 'plant/json', depth: 0, payloads: true } });
    expect(full.tree!.last).toMatchObject({ payload: json, encoding: 'utf8', truncated: false });
    const cut = await treeWhen(captureId, { under: 'plant/long', depth: 0, payloads: true }, 'plant/long', (t) => t.tree?.last !== undefined);
    expect(cut.tree!.last).toMatchObject({ payload: long.slice(0, 512), size: 1000, truncated: true });
    await expect(client.call('discovery.mqtt.tree', { captureId, query: { under: 'plant', depth: 1, payloads: true } })).rejects.toMatchObject({ code: 'invalid-request' });

    // The broker goes away: the tree says so, and again when the capture is back.
    await broker.kill();
    const lost = await treeWhen(captureId, {}, 'the lost connection', (t) => !t.connected);
    expect(lost.warnings.some((w) => /^connection lost after/.test(w))).toBe(true);
    await broker.restart();
    await treeWhen(captureId, {}, 'the connection back', (t) => t.connected);
    const result = await client.call('discovery.mqtt.stop', { captureId });
    expect(result.url).toBe(broker.url);
    expect(result.totals.topics).toBe(2);

    // A capture for a duration by device, cached under the broker url.
    const timed = await client.call('discovery.mqtt.capture', { deviceId: 'secure-broker', topics: ['plant/#'], durationMs: 300 });
    expect(timed.url).toBe(broker.url);
    const last = await client.call('discovery.last', { kind: 'mqtt.capture', target: broker.url });
    expect((last?.result as MqttCaptureResult).startedAt).toBe(timed.startedAt);
  });

  it('browses OPC UA as a device signs in: its ${secret:…} password resolved by the host, for its own endpoint only', async () => {
    const profile = [...loadProject(project.root).simulators.values()].map((e) => e.model!).find((m) => m.id === 'capper')!;
    const opcua = await startOpcuaSimulator({ ...(profile as OpcuaSimulatorProfile), bind: { host: '127.0.0.1', port: 0 } }, {
      baseDir: project.root,
      log: () => {},
      users: [{ username: 'operator', password: 's3cret' }],
      allowAnonymous: false,
    });
    cleanups.push(() => opcua.stop());
    const device = (id: string, password: string) =>
      project.write(`devices/${id}.yaml`, `apiVersion: plantbench/v1\nkind: Device\nid: ${id}\nprotocol: opcua\nendpoint: ${opcua.endpoint}\nauth: { kind: username, username: operator, password: "${password}" }\n`);
    device('secure-capper', '${secret:CAPPER_PW}');
    device('unset-capper', '${secret:NOT_SET}');
    const target = { endpointUrl: opcua.endpoint };

    await expect(client.call('discovery.opcua.browse', { target })).rejects.toMatchObject({ code: 'failed' });
    const objects = await client.call('discovery.opcua.browse', { target, deviceId: 'secure-capper' });
    expect(objects.references.map((r) => r.browseName.name)).toContain('Capper');
    await expect(client.call('discovery.opcua.goto', { target, deviceId: 'secure-capper', to: 'Capper/Speed' })).resolves.toMatchObject({ node: { nodeId: 'ns=1;s=Capper.Speed' } });

    await expect(client.call('discovery.opcua.browse', { target, deviceId: 'unset-capper' })).rejects.toMatchObject({
      message: expect.stringMatching(/^devices\/unset-capper\.yaml:\d+:\d+ auth\.password: unresolved \$\{secret:NOT_SET\}/),
    });
    await expect(client.call('discovery.opcua.browse', { target: { endpointUrl: 'opc.tcp://127.0.0.1:1/elsewhere' }, deviceId: 'secure-capper' })).rejects.toMatchObject({
      message: expect.stringMatching(/signs in at opc\.tcp:\/\/127\.0\.0\.1:\d+.*its identity is only sent to its own endpoint/),
    });
  });

  it('fails on an untrusted server certificate with its facts in detail, and browses after trust once (this host only) or always (moved to trusted)', async () => {
    const profile = [...loadProject(project.root).simulators.values()].map((e) => e.model!).find((m) => m.id === 'capper')!;
    const opcua = await startSimulator({ ...profile, bind: { host: '127.0.0.1', port: 0 } }, { baseDir: project.root, log: () => {} });
    // A second host on the same project: what "once" means is this host process only.
    const other = createWorkbench({ projectRoot: project.root, secrets: () => undefined });
    const [hostPort, clientPort] = memoryPortPair();
    other.rpc.connect(hostPort);
    const otherClient = createRpcClient<Methods, Events>(clientPort);
    try {
      const target = { endpointUrl: opcua.endpoint, securityMode: 'Sign', securityPolicy: 'Basic256Sha256' } as const;
      const refused = (await client.call('discovery.opcua.browse', { target }).catch((e: unknown) => e)) as RpcError;
      expect(refused).toBeInstanceOf(RpcError);
      expect(refused.message).toMatch(/the server certificate is not trusted/);
      const detail = opcuaUntrustedCertificate.parse(refused.detail);
      expect(detail).toMatchObject({ kind: 'untrusted-certificate', endpointUrl: opcua.endpoint, subject: expect.stringMatching(/\S/) });
      expect(detail.thumbprint).toMatch(/^[0-9a-f]{40}$/);
      expect(Date.parse(detail.notAfter!)).toBeGreaterThan(Date.now());
      const certs = await client.call('discovery.opcua.certificates', {});
      expect(certs.rejected.map((c) => c.thumbprint)).toEqual([detail.thumbprint]);
      const rejectedFile = join(project.root, certs.rejected[0]!.file);
      expect(existsSync(rejectedFile)).toBe(true);

      // Once: this host browses; the file stays in rejected/, and the other host still refuses.
      await expect(client.call('discovery.opcua.trust', { thumbprint: 'ab'.repeat(20), scope: 'once' })).rejects.toMatchObject({ code: 'failed', message: /no rejected server certificate/ });
      await expect(client.call('discovery.opcua.trust', { thumbprint: detail.thumbprint, scope: 'once' })).resolves.toMatchObject({ scope: 'once', certificate: { thumbprint: detail.thumbprint } });
      const objects = await client.call('discovery.opcua.browse', { target });
      expect(objects.references.map((r) => r.browseName.name)).toContain('Capper');
      expect(existsSync(rejectedFile)).toBe(true);
      expect((await client.call('discovery.opcua.certificates', {})).trusted).toEqual([]);
      expect((await client.call('discovery.opcua.certificates', {})).acceptedOnce).toEqual([detail.thumbprint]);
      await expect(otherClient.call('discovery.opcua.browse', { target })).rejects.toMatchObject({ detail: { thumbprint: detail.thumbprint } });

      // Always: the file moves to trusted/certs and every host browses.
      const always = await otherClient.call('discovery.opcua.trust', { thumbprint: detail.thumbprint, scope: 'always' });
      expect(always.certificate.file).toMatch(/^\.plantbench\/pki\/trusted\/certs\//);
      expect(existsSync(rejectedFile)).toBe(false);
      expect(existsSync(join(project.root, always.certificate.file))).toBe(true);
      const speed = await otherClient.call('discovery.opcua.goto', { target, to: 'Capper/Speed' });
      expect(speed.node.nodeId).toBe('ns=1;s=Capper.Speed');
      await expect(otherClient.call('discovery.opcua.trust', { thumbprint: detail.thumbprint, scope: 'always' })).rejects.toMatchObject({ code: 'failed', message: /already trusted/ });
    } finally {
      otherClient.close();
      await other.close();
      await opcua.stop();
    }
  });

  it('scans with progress events and caches the result', async () => {
    const progress: number[] = [];
    const result = await client.call('discovery.scan', { targets: '127.0.0.1', ports: [sim.port], timeoutMs: 1000 }, { onProgress: (p) => progress.push(p.done) });
    expect(result.results.find((r) => r.port === sim.port)).toMatchObject({ state: 'open', protocol: 'modbus', confirmed: true });
    expect(progress.length).toBeGreaterThan(0);
    const cached = await client.call('discovery.cached', { kind: 'scan' });
    expect(cached).toHaveLength(1);
    const last = await client.call('discovery.last', { kind: 'scan', target: cached[0]!.target });
    expect((last?.result as typeof result).results).toEqual(result.results);
  });

  it('probes a Modbus device, reads a range, imports tags and snapshots a simulator into the project', async () => {
    const probe = (await client.call('discovery.modbus.probe', { target: target(), units: [1], areas: ['holding', 'input'], window: { start: 0, end: 511 }, resolution: 1 })) as ModbusProbeResult;
    const unit = probe.units.find((u) => u.unit === 1)!;
    expect(Object.fromEntries(unit.areas.map((a) => [a.area, a.ranges]))).toEqual({ holding: [[200, 10]], input: [[10, 2]] });
    const read = await client.call('discovery.modbus.read', { target: target(), unit: 1, area: 'holding', start: 200, count: 10 });
    expect(read.values).toEqual(Array.from({ length: 10 }, (_, i) => 700 + i));

    const tags = toModbusTags(rangesToRows('holding', [[200, 2]]));
    const imported = await client.call('discovery.import', {
      deviceId: 'press',
      protocol: 'modbus',
      tags,
      create: { apiVersion: 'plantbench/v1', kind: 'Device', protocol: 'modbus', transport: target().transport },
    });
    expect(imported).toMatchObject({ created: true, file: 'devices/press.yaml' });
    expect(imported.added).toHaveLength(2);

    const profile = snapshotProfile(probe, [read], { id: 'press-sim', unit: 1, device: 'press' });
    await expect(client.call('discovery.snapshot', { profile })).resolves.toEqual({ file: 'simulators/press-sim.yaml', id: 'press-sim' });
    await expect(client.call('discovery.snapshot', { profile })).rejects.toMatchObject({ code: 'failed', message: /exists/ });
    const loaded = loadProject(project.root);
    expect(loaded.problems).toEqual([]);
    expect(loaded.devices.get('press')?.model?.tags).toHaveLength(2);
    expect(loaded.simulators.get('press-sim')?.model?.protocol).toBe('modbus');
  });

  it('cancels a probe and refuses bad requests with the field path', async () => {
    const controller = new AbortController();
    const result = await client.call('discovery.modbus.probe', { target: target(), units: [1], resolution: 1, budget: 100_000 }, {
      signal: controller.signal,
      onProgress: (p) => p.done >= 20 && controller.abort(),
    }).catch((e: unknown) => e);
    // Cancellation resolves with what was found (cancelled: true) or rejects as cancelled.
    if (result instanceof RpcError) expect(result.code).toBe('cancelled');
    else expect((result as ModbusProbeResult).cancelled).toBe(true);

    const bad = (await client.call('discovery.modbus.read', { target: target(), area: 'holding', start: 65535, count: 10 } as never).catch((e: unknown) => e)) as RpcError;
    expect(bad.code).toBe('invalid-request');
    expect(bad.issues[0]?.path).toBe('count');
    const outside = (await client.call('discovery.import', { deviceId: '../etc', protocol: 'mqtt', tags: [] } as never).catch((e: unknown) => e)) as RpcError;
    expect(outside.code).toBe('invalid-request');
  });
});
