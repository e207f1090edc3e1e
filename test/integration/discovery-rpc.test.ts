// Discovery over the RPC contract, as the UI uses it: the real workbench host on a copy of the
// example project, a client over a port pair, a real Modbus simulator. Progress arrives as events,
// a cancel stops a probe, results land in the workspace DB cache, and imports and snapshots are
// written into the project and validated.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src/host/workbench.ts';
import { rangesToRows, snapshotProfile, toModbusTags, type ModbusProbeResult } from '../../src/shared/discovery/modbus.ts';
import { opcuaUntrustedCertificate } from '../../src/shared/discovery/opcua.ts';
import { createRpcClient } from '../../src/shared/rpc/client.ts';
import type { Events, Methods, WorkbenchClient } from '../../src/shared/rpc/contract.ts';
import { memoryPortPair, RpcError } from '../../src/shared/rpc/wire.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { loadProject } from '../../src/store/project.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.ts';
import { startSim } from '../helpers/modbus.ts';
import { copyExample } from '../helpers/project.ts';

const POINTS = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, area: 'holding', address: 200 + i, type: 'uint16', value: 700 + i })),
  { name: 'temp', area: 'input', address: 10, type: 'float32', value: 21.5 },
];

let sim: RunningModbusSimulator;
let project: ReturnType<typeof copyExample>;
let workbench: Workbench;
let client: WorkbenchClient;

beforeAll(async () => {
  sim = await startSim(POINTS, { unitId: 1 });
  project = copyExample();
  workbench = createWorkbench({ projectRoot: project.root, secrets: () => undefined });
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
      const result = await client.call('discovery.mqtt.stop', { captureId });
      expect(result.totals.topics).toBeGreaterThan(0);
      await expect(client.call('discovery.mqtt.tree', { captureId })).rejects.toMatchObject({ code: 'failed' });
    } finally {
      await Promise.allSettled(started.map((s) => s.stop()));
    }
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
