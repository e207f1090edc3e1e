// OPC UA discovery against the simulator's real node-opcua server on 127.0.0.1: endpoints, lazy browse
// with BrowseNext, attributes, references, goto, crawls (budget, cancellation, server limits, a 50k-node
// plant in a child process), import into a project and the snapshot round trip through the CLI,
// an untrusted certificate, a dead endpoint, and lazy loading of node-opcua.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOpcuaEndpoints, openOpcuaBrowser, type OpcuaBrowser } from '../../src/connectors/opcua/discovery/index.ts';
import { trustCertificate } from '../../src/connectors/opcua/trust.ts';
import { importableVariables } from '../../src/shared/discovery/opcua-import.ts';
import type { OpcuaCrawlNode, OpcuaCrawlResult } from '../../src/shared/discovery/opcua.ts';
import { deviceFile } from '../../src/shared/model/device.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { freePort } from '../helpers/net.ts';
import { cleanupTempDirs, simProfile, startSim, tempDir } from '../helpers/opcua.ts';
import { forkPlantServer, type PlantServer } from '../helpers/opcua-plant-server.ts';
import { EXAMPLE } from '../helpers/project.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/plantbench.js');
const CAPPER = parse(readFileSync(join(EXAMPLE, 'simulators/capper.yaml'), 'utf8')) as Record<string, unknown>;

/** Every type the simulator serves, a custom node id, unit-only and range-only variables, and one signal. */
const MIXED = [
  { path: 'Line1/Filler/Running', dataType: 'Boolean', value: true, writable: true },
  { path: 'Line1/Filler/Offset', dataType: 'SByte', value: -7 },
  { path: 'Line1/Filler/Mode', dataType: 'Byte', value: 3 },
  { path: 'Line1/Filler/Delta', dataType: 'Int16', value: -1200 },
  { path: 'Line1/Filler/Recipe', dataType: 'UInt16', value: 42 },
  { path: 'Line1/Filler/Bottles', dataType: 'Int32', value: 123456, nodeId: 'PLC1.DB5.Bottles' },
  { path: 'Line1/Filler/Cycles', dataType: 'UInt32', value: 4000000000 },
  { path: 'Line1/Filler/Energy', dataType: 'Int64', value: -5 },
  { path: 'Line1/Filler/Runtime', dataType: 'UInt64', value: 123 },
  { path: 'Line1/Filler/Level', dataType: 'Float', value: 23.4, unit: '%', range: { low: 0, high: 100 } },
  { path: 'Line1/Filler/Pressure', dataType: 'Double', value: 2.5, unit: 'bar' },
  { path: 'Line1/Filler/Flow', dataType: 'Double', value: 11.25, range: { low: -5, high: 50 } },
  { path: 'Line1/Filler/Batch', dataType: 'String', value: 'B-2024-17' },
  { path: 'Line1/Filler/Started', dataType: 'DateTime', value: '2024-01-02T03:04:05.000Z' },
  { path: 'Line1/Filler/Speed', dataType: 'Double', unit: 'bottles/min', range: { low: 0, high: 600 }, signal: { kind: 'sine', amplitude: 50, offset: 400, periodMs: 2000 }, updateMs: 50 },
];

let capper: RunningOpcuaSimulator;
let browser: OpcuaBrowser;
let plant: Promise<PlantServer>;
/** One project for every test and CLI call: its client certificate is made once. */
const project = tempDir('plantbench-discovery-opcua-');
writeFileSync(join(project, 'plantbench.yaml'), 'apiVersion: plantbench/v1\nkind: Project\nname: t\nuns: { enterprise: e, site: s, area: a, line: l }\n');
const dataDir = join(project, '.plantbench');

beforeAll(async () => {
  // The 50k-node plant builds in its own process while the other tests run.
  plant = forkPlantServer(50_000);
  capper = await startSim({ ...CAPPER, bind: { host: '127.0.0.1', port: 0 } });
  browser = await openOpcuaBrowser({ endpointUrl: capper.endpoint }, { dataDir });
});

afterAll(async () => {
  await browser?.close();
  await capper?.stop();
  await (await plant.catch(() => undefined))?.stop();
  cleanupTempDirs();
});

/** The real command in a child process; asynchronous, so the simulators in this process keep serving. */
function plantbench(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** What must survive a snapshot: the device tree with paths, ids, classes, types, EU and ranges (values where constant). */
function deviceTree(result: OpcuaCrawlResult, withValues: (n: OpcuaCrawlNode) => boolean) {
  const nodes = result.nodes.filter((n) => n.path.startsWith('/Objects/') && n.nodeId.startsWith('ns=1;s='));
  return nodes
    .map((n) => ({
      path: n.path,
      nodeId: n.nodeId,
      nodeClass: n.nodeClass,
      dataType: n.dataType,
      engineeringUnits: n.engineeringUnits && { displayName: n.engineeringUnits.displayName, unitId: n.engineeringUnits.unitId },
      euRange: n.euRange,
      writable: n.accessLevel?.includes('CurrentWrite'),
      ...(n.nodeClass === 'Variable' && withValues(n) ? { value: n.value?.value } : {}),
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

describe('OPC UA discovery', () => {
  it('lists the server, its endpoints with security and user tokens, and the certificate thumbprint', async () => {
    const result = await getOpcuaEndpoints(capper.endpoint, { dataDir });
    expect(result.servers).toEqual([expect.objectContaining({ applicationUri: 'urn:plantbench:simulator', applicationName: 'Capper CP-20 (simulated OPC UA server)', applicationType: 'Server' })]);
    const modes = result.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`);
    expect(modes).toEqual(expect.arrayContaining(['None/None', 'Sign/Basic256Sha256', 'SignAndEncrypt/Aes256_Sha256_RsaPss']));
    expect(result.endpoints[0]!.userTokens.map((t) => t.tokenType)).toEqual(expect.arrayContaining(['Anonymous', 'UserName']));
    const secure = result.endpoints.find((e) => e.securityMode === 'Sign')!;
    expect(secure.certificate).toMatchObject({ thumbprint: capper.certificate.thumbprint, subject: capper.certificate.subject, trusted: false });
    expect(Date.parse(secure.certificate!.notAfter!)).toBeGreaterThan(Date.now());
    expect(browser.info.namespaces).toEqual(['http://opcfoundation.org/UA/', 'urn:plantbench:simulator']);
  });

  it('browses one level at a time, following BrowseNext continuations, with children hints', async () => {
    const top = await browser.browse();
    expect(top.nodeId).toBe('i=85');
    expect(top.references.find((r) => r.browseName.name === 'Capper')).toMatchObject({ nodeId: 'ns=1;s=Folder.Capper', nodeClass: 'Object', typeDefinitionName: 'FolderType', hasChildren: true });
    const ids: string[] = [];
    let page = await browser.browse('Capper', { maxReferences: 1 });
    ids.push(...page.references.map((r) => r.nodeId));
    let pages = 1;
    while (page.continuation) {
      page = await browser.browse('Capper', { continuation: page.continuation });
      ids.push(...page.references.map((r) => r.nodeId));
      pages++;
    }
    expect(pages).toBe(4);
    expect(ids).toEqual(['ns=1;s=Capper.Speed', 'ns=1;s=Capper.Torque', 'ns=1;s=Capper.State', 'ns=1;s=Capper.Command']);
    const speed = (await browser.browse('ns=1;s=Folder.Capper')).references[0]!;
    expect(speed).toMatchObject({ browseName: { namespaceIndex: 1, name: 'Speed' }, nodeClass: 'Variable', referenceType: 'Organizes', typeDefinitionName: 'AnalogItemType', hasChildren: true });
    await expect(browser.browse('Capper', { continuation: 'ffff' })).rejects.toThrow(/Capper: BadContinuationPointInvalid.*browse the node again/);
  });

  it('reads attributes: type, access, value with status and timestamps, EngineeringUnits and EURange', async () => {
    const { nodes } = await browser.attributes(['Capper/Speed', 'ns=1;s=Capper.Command', 'ns=1;s=Nope', 'Capper/Nope']);
    expect(nodes[0]).toMatchObject({
      nodeId: 'ns=1;s=Capper.Speed',
      nodeClass: 'Variable',
      displayName: 'Speed',
      dataType: 'Double',
      dataTypeId: 'i=11',
      valueRank: -1,
      accessLevel: ['CurrentRead'],
      value: { type: 'Double', status: 'Good', statusCode: 0 },
      engineeringUnits: { displayName: 'caps/min', unitId: -1 },
      euRange: { low: 0, high: 200 },
      minimumSamplingInterval: 0,
    });
    expect(typeof nodes[0]!.value!.value).toBe('number');
    expect(Date.parse(nodes[0]!.value!.sourceTimestamp!)).toBeGreaterThan(Date.now() - 60_000);
    expect(nodes[1]).toMatchObject({ dataType: 'Int32', accessLevel: ['CurrentRead', 'CurrentWrite'], value: { value: 0 } });
    expect(nodes[1]!.engineeringUnits).toBeUndefined();
    expect(nodes[2]).toEqual({ nodeId: 'ns=1;s=Nope', error: 'BadNodeIdUnknown' });
    expect(nodes[3]).toEqual({ nodeId: 'Capper/Nope', error: 'Capper/Nope: no "Nope" below /Objects/Capper (it has Speed, Torque, State, Command)' });
  });

  it('lists references in both directions with their type names', async () => {
    const { references } = await browser.references('ns=1;s=Capper.Speed');
    const shown = references.map((r) => `${r.direction} ${r.referenceType} ${r.browseName.name}`);
    expect(shown).toEqual(expect.arrayContaining(['forward HasTypeDefinition AnalogItemType', 'inverse Organizes Capper', 'forward HasProperty EURange', 'forward HasProperty EngineeringUnits']));
  });

  it('goes to a node by node id (ns= and nsu=) or by path, with the chain back to Root', async () => {
    const byId = await browser.goto('nsu=urn:plantbench:simulator;s=Capper.Speed-EURange');
    expect(byId.path).toBe('/Objects/Capper/Speed/EURange');
    expect(byId.rooted).toBe(true);
    expect(byId.chain.map((n) => n.nodeId)).toEqual(['i=84', 'i=85', 'ns=1;s=Folder.Capper', 'ns=1;s=Capper.Speed', 'ns=1;s=Capper.Speed-EURange']);
    const byPath = await browser.goto('/Objects/Capper/Torque');
    expect(byPath.node).toMatchObject({ nodeId: 'ns=1;s=Capper.Torque', nodeClass: 'Variable' });
    expect((await browser.goto('Capper/Torque')).chain).toEqual(byPath.chain);
    expect((await browser.goto('i=84')).path).toBe('/');
    await expect(browser.goto('nsu=urn:elsewhere;s=X')).rejects.toThrow('nsu=urn:elsewhere;s=X: the server has no namespace "urn:elsewhere"');
    await expect(browser.goto('ns=1;s=Ghost')).rejects.toThrow('ns=1;s=Ghost: BadNodeIdUnknown');
  });

  it('crawls breadth first with values, EU and range; stops at the budget and when cancelled', async () => {
    const full = await browser.crawl({ root: 'Capper' });
    expect(full).toMatchObject({ root: 'ns=1;s=Folder.Capper', cancelled: false, truncated: false });
    expect(full.nodes.map((n) => n.path)).toEqual([
      '/Objects/Capper',
      '/Objects/Capper/Speed', '/Objects/Capper/Torque', '/Objects/Capper/State', '/Objects/Capper/Command',
      '/Objects/Capper/Speed/EURange', '/Objects/Capper/Speed/EngineeringUnits', '/Objects/Capper/Torque/EURange', '/Objects/Capper/Torque/EngineeringUnits',
    ]);
    expect(full.nodes[2]).toMatchObject({ parent: 'ns=1;s=Folder.Capper', depth: 1, dataType: 'Double', engineeringUnits: { displayName: 'N·m' }, euRange: { low: 0, high: 5 } });

    const shallow = await browser.crawl({ root: 'Capper', maxDepth: 1 });
    expect(shallow.nodes.map((n) => [n.browseName.name, n.hasChildren])).toEqual([['Capper', undefined], ['Speed', true], ['Torque', true], ['State', false], ['Command', false]]);
    expect(shallow.nodes[1]).toMatchObject({ engineeringUnits: { displayName: 'caps/min' }, euRange: { low: 0, high: 200 } });

    const budgeted = await browser.crawl({ budget: 50, values: false });
    expect(budgeted).toMatchObject({ truncated: true, cancelled: false });
    expect(budgeted.nodes).toHaveLength(50);

    const everything = await browser.crawl({ values: false });
    expect(everything).toMatchObject({ truncated: false, cancelled: false });
    const controller = new AbortController();
    const progress: number[] = [];
    const cancelled = await browser.crawl({ values: false }, { signal: controller.signal, onProgress: (p) => (progress.push(p.done), controller.abort()) });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.nodes.length).toBeGreaterThan(0);
    expect(cancelled.nodes.length).toBeLessThan(everything.nodes.length);
    expect(progress.length).toBeGreaterThan(0);
  });

  it('keeps to the server limits: nodes per Browse and Read, few continuation points', async () => {
    const small = await startSim(
      { variables: Array.from({ length: 60 }, (_, i) => ({ path: `Tanks/Tank${i % 3}/Level${i}`, dataType: 'Double', value: i, unit: 'm', range: { low: 0, high: 10 } })) },
      { operationLimits: { maxNodesPerBrowse: 7, maxNodesPerRead: 9, maxBrowseContinuationPoints: 2 } },
    );
    const limited = await openOpcuaBrowser({ endpointUrl: small.endpoint }, { dataDir }, { tuning: { maxReferences: 4 } });
    try {
      expect(limited.info.limits).toMatchObject({ maxNodesPerBrowse: 7, maxNodesPerRead: 9, maxBrowseContinuationPoints: 2 });
      const result = await limited.crawl({ root: 'Tanks' });
      expect(result.error).toBeUndefined();
      expect(result.requests.browseNext).toBeGreaterThan(0);
      const levels = result.nodes.filter((n) => /^\/Objects\/Tanks\/Tank\d\/Level\d+$/.test(n.path));
      expect(levels).toHaveLength(60);
      expect(levels.every((n) => n.value?.value === Number(n.browseName.name.slice(5)) && n.euRange?.high === 10 && n.engineeringUnits?.displayName === 'm')).toBe(true);
      const { nodes } = await limited.attributes(levels.slice(0, 20).map((n) => n.nodeId));
      expect(nodes.map((n) => n.value?.value)).toEqual(levels.slice(0, 20).map((n) => n.value?.value));
      // No reconnection in discovery: a lost server shows, and calls fail at once naming the endpoint.
      expect(limited.connected).toBe(true);
      await small.stop();
      await waitFor('the browser to see the server go', () => !limited.connected);
      await expect(limited.browse('Tanks')).rejects.toThrow(small.endpoint);
    } finally {
      await limited.close();
      await small.stop();
    }
  });

  it('crawls a 50k-node plant within its budget', async () => {
    const server = await plant;
    const big = await openOpcuaBrowser({ endpointUrl: server.endpoint }, { dataDir });
    try {
      const progress: number[] = [];
      const result = await big.crawl({ root: 'Plant', budget: 5_000 }, { onProgress: (p) => progress.push(p.done) });
      expect(server.variables).toBeGreaterThan(30_000);
      expect(result).toMatchObject({ truncated: true, cancelled: false });
      expect(result.error).toBeUndefined();
      expect(result.nodes).toHaveLength(5_000);
      expect(progress[progress.length - 1]).toBe(5_000);
      // Breadth first: every folder level above the machines is complete before the budget runs out.
      expect(result.nodes.filter((n) => n.depth === 1).map((n) => n.browseName.name)).toEqual(Array.from({ length: 9 }, (_, i) => `Area${i}`));
      const sensor = result.nodes.find((n) => n.browseName.name === 'Sensor1')!;
      expect(sensor).toMatchObject({ dataType: 'Double', engineeringUnits: { displayName: 'bar' }, euRange: { low: 0, high: 101 } });
    } finally {
      await big.close();
    }
  });

  it('imports selected variables as device tags, creating the device file', async () => {
    const root = project;
    const imported = await plantbench(['discover', 'opcua', capper.endpoint, '--import', 'capper', '--select', 'Capper/Speed', '--select', 'ns=1;s=Capper.State', '--json'], root);
    expect(imported.stderr).toBe('');
    expect(imported.code, imported.stdout).toBe(0);
    expect(JSON.parse(imported.stdout).imported).toMatchObject({ file: 'devices/capper.yaml', created: true, added: ['Capper/Speed', 'Capper/State'] });
    const device = deviceFile.parse(parse(readFileSync(join(root, 'devices/capper.yaml'), 'utf8')));
    expect(device).toMatchObject({
      protocol: 'opcua',
      endpoint: capper.endpoint,
      securityMode: 'None',
      tags: [
        { name: 'Capper/Speed', nodeId: 'ns=1;s=Capper.Speed', unit: 'caps/min', writable: false },
        { name: 'Capper/State', nodeId: 'ns=1;s=Capper.State', writable: false },
      ],
    });
    const notVariable = await plantbench(['discover', 'opcua', capper.endpoint, '--import', 'capper', '--select', '/Objects/Capper'], root);
    expect(notVariable.code).toBe(1);
    expect(notVariable.stderr).toContain('--select /Objects/Capper: ns=1;s=Folder.Capper is an Object, not a variable');
  });

  it('snapshots a server into a simulator profile that serves the same tree (a signal becomes a constant)', async () => {
    const root = project;
    const mixed = await startSim({ namespaceUri: 'urn:acme:line1', resourcePath: '/line1', variables: MIXED, packml: { folder: 'Line1/Filler' } });
    let copy: RunningOpcuaSimulator | undefined;
    let second: OpcuaBrowser | undefined;
    try {
      const cli = await plantbench(['discover', 'opcua', mixed.endpoint, '--to-simulator', 'simulators/line1.yaml', '--json'], root);
      expect(cli.stderr).toBe('');
      expect(cli.code, cli.stdout + cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).snapshot).toEqual({ file: 'simulators/line1.yaml', variables: MIXED.length + 2, notes: [] });
      const profile = simProfile({ ...parse(readFileSync(join(root, 'simulators/line1.yaml'), 'utf8')), bind: { host: '127.0.0.1', port: 0 } });
      expect(profile).toMatchObject({ id: 'line1', namespaceUri: 'urn:acme:line1', resourcePath: '/line1' });
      copy = await startSim(profile);
      expect(copy.endpoint).toMatch(/\/line1$/);

      const first = await openOpcuaBrowser({ endpointUrl: mixed.endpoint }, { dataDir });
      second = await openOpcuaBrowser({ endpointUrl: copy.endpoint }, { dataDir });
      const before = await first.crawl({});
      await first.close();
      const after = await second.crawl({});
      const constant = (n: OpcuaCrawlNode): boolean => !n.path.startsWith('/Objects/Line1/Filler/Speed');
      expect(deviceTree(after, constant)).toEqual(deviceTree(before, constant));
      expect(deviceTree(after, constant).find((n) => n.path === '/Objects/Line1/Filler/Bottles')).toMatchObject({ nodeId: 'ns=1;s=PLC1.DB5.Bottles', dataType: 'Int32', value: 123456 });
      const speed = profile.variables.find((v) => v.path === 'Line1/Filler/Speed')!;
      expect(speed).toMatchObject({ dataType: 'Double', unit: 'bottles/min', range: { low: 0, high: 600 } });
      expect(speed.signal).toBeUndefined();
      expect(typeof speed.value).toBe('number');
      expect(importableVariables(after.nodes)).toHaveLength(MIXED.length + 2);
    } finally {
      await second?.close();
      await copy?.stop();
      await mixed.stop();
    }
  });

  it('refuses an unknown certificate on a Sign endpoint with its thumbprint, and opens once it is trusted', async () => {
    const fresh = join(tempDir(), '.plantbench');
    const target = { endpointUrl: capper.endpoint, securityMode: 'Sign', securityPolicy: 'Basic256Sha256' } as const;
    await expect(openOpcuaBrowser(target, { dataDir: fresh })).rejects.toThrow(
      new RegExp(`the server certificate is not trusted: SHA-1 thumbprint ${capper.certificate.thumbprint}.*plantbench trust <project> ${capper.certificate.thumbprint.slice(0, 8)}`),
    );
    trustCertificate(fresh, capper.certificate.thumbprint);
    const signed = await openOpcuaBrowser(target, { dataDir: fresh });
    try {
      expect((await signed.goto('Capper/Speed')).node.nodeId).toBe('ns=1;s=Capper.Speed');
    } finally {
      await signed.close();
    }
  });

  it('fails fast on a dead endpoint, through the API and the CLI', async () => {
    const dead = `opc.tcp://127.0.0.1:${await freePort()}/none`;
    await expect(getOpcuaEndpoints(dead, { dataDir })).rejects.toThrow(`${dead}: connection refused (is the server running, and is the port right?)`);
    await expect(openOpcuaBrowser({ endpointUrl: dead }, { dataDir })).rejects.toThrow('connection refused');
    const cli = await plantbench(['discover', 'opcua', dead, '--json'], project);
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toEqual({ error: `${dead}: connection refused (is the server running, and is the port right?)` });
  });

  it('does not load node-opcua when the discovery module is imported', () => {
    const child = `
      import { registerHooks } from 'node:module';
      const stack = [];
      registerHooks({ resolve(s, c, next) { const r = next(s, c); if (/node_modules\\/(node-opcua|@node-opcua)/.test(r.url)) stack.push(r.url); return r; } });
      await import(process.env.PLANTBENCH_ROOT + 'src/connectors/opcua/discovery/index.ts');
      await import(process.env.PLANTBENCH_ROOT + 'src/cli/commands/discover/opcua.ts');
      process.stdout.write(JSON.stringify(stack));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', child], { env: { ...process.env, PLANTBENCH_ROOT: ROOT }, encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(output)).toEqual([]);
  });
});
