// Pure parts of OPC UA discovery: node id and path text, tag names and import selection, the
// snapshot of a crawl into a simulator profile, and the request schemas.
import { describe, expect, it } from 'vitest';
import { opcuaCrawlRequest, opcuaTarget, type OpcuaCrawlNode, type OpcuaCrawlResult } from '../../../src/shared/discovery/opcua.ts';
import { deviceNodes, importableVariables, opcuaTagName, opcuaTagsFromSelection, persistentNodeId } from '../../../src/shared/discovery/opcua-import.ts';
import { BrowsePathError, escapeBrowseName, isNodeIdText, joinBrowsePath, parseBrowsePath } from '../../../src/shared/discovery/opcua-path.ts';
import { opcuaSnapshot } from '../../../src/shared/discovery/opcua-snapshot.ts';
import { opcuaTag } from '../../../src/shared/model/device.ts';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';

describe('node ids and browse paths', () => {
  it('tells node ids from paths', () => {
    for (const id of ['i=85', 'ns=1;s=Capper.Speed', 'nsu=urn:acme:plc;i=1001', 'ns=2;g=09087e75-8e5e-499b-954f-f2a9603db28a', 'ns=3;b=AAEC', 'ns=1;s=a/b c']) {
      expect(isNodeIdText(id), id).toBe(true);
    }
    for (const path of ['Capper/Speed', '/Objects/Capper', '/', 'ns1;s=x', 'Objects']) expect(isNodeIdText(path), path).toBe(false);
  });

  it('parses absolute paths from Root and relative ones from Objects', () => {
    expect(parseBrowsePath('/Objects/Capper/Speed')).toEqual(['Objects', 'Capper', 'Speed']);
    expect(parseBrowsePath('Capper/Speed')).toEqual(['Objects', 'Capper', 'Speed']);
    expect(parseBrowsePath('/Types/DataTypes')).toEqual(['Types', 'DataTypes']);
    expect(parseBrowsePath('/')).toEqual([]);
    expect(parseBrowsePath(' Line 1 ')).toEqual(['Objects', 'Line 1']);
  });

  it('escapes "/" and "&" inside names, and round-trips them', () => {
    const names = ['Objects', 'A/B', 'R&D', 'x&/y'];
    const path = joinBrowsePath(names);
    expect(path).toBe('/Objects/A&/B/R&&D/x&&&/y');
    expect(parseBrowsePath(path)).toEqual(names);
    expect(escapeBrowseName('plain')).toBe('plain');
  });

  it('refuses empty names', () => {
    expect(() => parseBrowsePath('Capper//Speed')).toThrow(BrowsePathError);
    expect(() => parseBrowsePath('Capper/')).toThrow('"Capper/": a path has no empty names (write a "/" inside a name as "&/")');
  });
});

describe('import selection', () => {
  it('names tags after the path below Objects, in the tag-name alphabet', () => {
    expect(opcuaTagName('/Objects/Capper/Speed')).toBe('Capper/Speed');
    expect(opcuaTagName('/Objects/Line 1/Torque (N·m)')).toBe('Line_1/Torque_N_m');
    expect(opcuaTagName('/Objects/.hidden/x')).toBe('_.hidden/x');
    expect(opcuaTagName('/Objects/A&/B')).toBe('A_B');
    expect(opcuaTagName('/Types/Custom/Value')).toBe('Types/Custom/Value');
    expect(opcuaTagName('/Objects/°C')).toBe('C');
    expect(opcuaTagName('/Objects/日本')).toBe('_');
    for (const path of ['/Objects/Capper/Speed', '/Objects/Line 1/Torque (N·m)', '/Objects/.hidden/x', '/Objects/日本']) {
      expect(opcuaTag.safeParse({ name: opcuaTagName(path), nodeId: 'i=1' }).success, path).toBe(true);
    }
  });

  it('keeps namespaces 0 and 1 as indices and writes others with their URI', () => {
    const namespaces = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:acme:plc'];
    expect(persistentNodeId('i=2258', namespaces)).toBe('i=2258');
    expect(persistentNodeId('ns=0;i=2258', namespaces)).toBe('i=2258');
    expect(persistentNodeId('ns=1;s=Capper.Speed', namespaces)).toBe('ns=1;s=Capper.Speed');
    expect(persistentNodeId('ns=2;s="DB1"."Temp"', namespaces)).toBe('nsu=urn:acme:plc;s="DB1"."Temp"');
    expect(persistentNodeId('ns=7;i=5', namespaces)).toBe('ns=7;i=5');
  });

  it('makes names unique, keeps tags already imported, takes the unit from EngineeringUnits', () => {
    const existing = [{ name: 'Speed', nodeId: 'nsu=urn:acme:plc;s=Speed', unit: 'rpm', writable: true }];
    const tags = opcuaTagsFromSelection(
      [
        { nodeId: 'ns=2;s=Speed', path: '/Objects/Speed' },
        { nodeId: 'ns=2;s=Speed2', path: '/Objects/Speed', engineeringUnits: { displayName: 'm/s' } },
        { nodeId: 'ns=2;s=Speed3', path: '/Objects/Speed' },
        { nodeId: 'ns=2;s=Speed3', path: '/Objects/Speed' },
        { nodeId: 'ns=1;s=Level', path: '/Objects/Tank/Level', engineeringUnits: { displayName: '' } },
      ],
      { namespaces: ['http://opcfoundation.org/UA/', 'urn:server', 'urn:acme:plc'], existing },
    );
    expect(tags).toEqual([
      existing[0],
      { name: 'Speed_2', nodeId: 'nsu=urn:acme:plc;s=Speed2', unit: 'm/s', writable: false },
      { name: 'Speed_3', nodeId: 'nsu=urn:acme:plc;s=Speed3', writable: false },
      { name: 'Tank/Level', nodeId: 'ns=1;s=Level', writable: false },
    ]);
    for (const t of tags) expect(opcuaTag.safeParse(t).success).toBe(true);
  });
});

// ---------- snapshot ----------

function node(path: string, fields: Partial<OpcuaCrawlNode> & { nodeId: string }): OpcuaCrawlNode {
  const name = path.split('/').pop()!.replace('&/', '/');
  return { path, depth: path.split('/').length - 2, browseName: { namespaceIndex: 1, name }, displayName: name, nodeClass: 'Variable', ...fields };
}
const value = (v: unknown, type: string, arrayType = 'Scalar') => ({ value: v, type, arrayType, status: 'Good', statusCode: 0 });

function crawl(nodes: OpcuaCrawlNode[], fields: Partial<OpcuaCrawlResult> = {}): OpcuaCrawlResult {
  return {
    endpointUrl: 'opc.tcp://10.0.0.5:4840/acme/plc',
    root: 'i=85',
    nodes,
    namespaces: ['http://opcfoundation.org/UA/', 'urn:acme:server', 'urn:acme:plc'],
    cancelled: false,
    truncated: false,
    durationMs: 10,
    requests: { browse: 1, browseNext: 0, read: 1 },
    ...fields,
  };
}

const OBJECTS = node('/Objects', { nodeId: 'i=85', nodeClass: 'Object', depth: 0 });
const LINE = node('/Objects/Line', { nodeId: 'ns=2;s=Line', parent: 'i=85', nodeClass: 'Object' });

describe('snapshot to simulator', () => {
  it('maps variables with types, ids, units, ranges, access and values', () => {
    const result = opcuaSnapshot(
      crawl([
        OBJECTS,
        LINE,
        node('/Objects/Line/Temp', { nodeId: 'ns=2;s=Line.Temp', parent: 'ns=2;s=Line', dataType: 'Double', value: value(21.5, 'Double'), accessLevel: ['CurrentRead'], engineeringUnits: { displayName: '°C', unitId: 4408652 }, euRange: { low: -20, high: 120 } }),
        node('/Objects/Line/Temp/EURange', { nodeId: 'ns=2;s=Line.Temp-EURange', parent: 'ns=2;s=Line.Temp', dataType: 'Range', value: value({ low: -20, high: 120 }, 'ExtensionObject') }),
        node('/Objects/Line/Setpoint', { nodeId: 'ns=2;s="DB5"."SP"', parent: 'ns=2;s=Line', dataType: 'Float', value: value(60, 'Float'), accessLevel: ['CurrentRead', 'CurrentWrite'] }),
        node('/Objects/Line/Since', { nodeId: 'ns=2;s=Line.Since', parent: 'ns=2;s=Line', dataType: 'UtcTime', value: value('2024-05-01T00:00:00.000Z', 'DateTime') }),
        node('/Objects/Line/Mode', { nodeId: 'ns=2;s=Line.Mode', parent: 'ns=2;s=Line', dataType: 'MachineMode', value: value(2, 'Int32') }),
        node('/Objects/Line/Name', { nodeId: 'ns=2;s=Line.Name', parent: 'ns=2;s=Line', dataType: 'String', value: value('L1', 'String'), engineeringUnits: { displayName: 'x', unitId: -1 } }),
        node('/Objects/Line/Flat', { nodeId: 'ns=2;s=Line.Flat', parent: 'ns=2;s=Line', dataType: 'Double', value: value(1, 'Double'), euRange: { low: 0, high: 0 } }),
        node('/Objects/Line/Broken', { nodeId: 'ns=2;s=Line.Broken', parent: 'ns=2;s=Line', dataType: 'Int16', value: { value: null, status: 'BadSensorFailure', statusCode: 0x808b0000 } }),
      ]),
      { id: 'plc-copy', device: 'plc' },
    );
    expect(result.notes).toEqual(['1 variable had no readable value: the simulator starts at 0, false or "".']);
    expect(result.profile).toEqual({
      apiVersion: 'plantbench/v1',
      kind: 'Simulator',
      id: 'plc-copy',
      description: 'Snapshot of opc.tcp://10.0.0.5:4840/acme/plc',
      device: 'plc',
      bind: { host: '127.0.0.1', port: 0 },
      protocol: 'opcua',
      namespaceUri: 'urn:acme:plc',
      resourcePath: '/acme/plc',
      variables: [
        { path: 'Line/Temp', dataType: 'Double', unit: '°C', range: { low: -20, high: 120 }, writable: false, value: 21.5, updateMs: 1000 },
        { path: 'Line/Setpoint', nodeId: '"DB5"."SP"', dataType: 'Float', writable: true, value: 60, updateMs: 1000 },
        { path: 'Line/Since', dataType: 'DateTime', writable: false, value: '2024-05-01T00:00:00.000Z', updateMs: 1000 },
        { path: 'Line/Mode', dataType: 'Int32', writable: false, value: 2, updateMs: 1000 },
        { path: 'Line/Name', dataType: 'String', writable: false, value: 'L1', updateMs: 1000 },
        { path: 'Line/Flat', dataType: 'Double', writable: false, value: 1, updateMs: 1000 },
        { path: 'Line/Broken', dataType: 'Int16', writable: false, updateMs: 1000 },
      ],
    });
    expect(simulatorFile.safeParse(result.profile).success).toBe(true);
  });

  it('skips and counts what the simulator cannot express, and leaves the Server object out', () => {
    const result = opcuaSnapshot(
      crawl(
        [
          OBJECTS,
          node('/Objects/Server', { nodeId: 'i=2253', parent: 'i=85', nodeClass: 'Object' }),
          node('/Objects/Server/ServerStatus', { nodeId: 'i=2256', parent: 'i=2253', dataType: 'ServerStatusDataType' }),
          node('/Objects/Server/Sessions/S1', { nodeId: 'ns=1;i=1763', parent: 'i=2253', dataType: 'SessionDiagnosticsDataType' }),
          LINE,
          node('/Objects/Line/Array', { nodeId: 'ns=2;s=Line.Array', parent: 'ns=2;s=Line', dataType: 'Double', value: value([1, 2], 'Double', 'Array') }),
          node('/Objects/Line/Struct', { nodeId: 'ns=2;s=Line.Struct', parent: 'ns=2;s=Line', dataType: 'Range', value: value({ low: 0, high: 1 }, 'ExtensionObject') }),
          node('/Objects/Line/Reset', { nodeId: 'ns=2;s=Line.Reset', parent: 'ns=2;s=Line', nodeClass: 'Method' }),
          node('/Objects/Line/Reset/InputArguments', { nodeId: 'ns=2;s=Line.Reset.In', parent: 'ns=2;s=Line.Reset', dataType: 'Argument' }),
          node('/Objects/Line/A&/B', { nodeId: 'ns=2;s=Line.AB', parent: 'ns=2;s=Line', dataType: 'Boolean', value: value(true, 'Boolean') }),
          node('/Objects/Line/Count', { nodeId: 'ns=2;i=5', parent: 'ns=2;s=Line', dataType: 'UInt32', value: value(7, 'UInt32') }),
          node('/Objects/Line/Temp', { nodeId: 'ns=2;s=Line.Temp', parent: 'ns=2;s=Line', dataType: 'Double', value: value(1, 'Double') }),
          node('/Objects/Line/Temp/Definition', { nodeId: 'ns=2;s=Line.Temp.Def', parent: 'ns=2;s=Line.Temp', dataType: 'String' }),
          node('/Objects/Other/Temp', { nodeId: 'ns=1;s=Line.Temp', parent: 'ns=1;s=Other', dataType: 'Double', value: value(2, 'Double') }),
          node('/Objects/Other/Level', { nodeId: 'ns=1;s=Other.Level', parent: 'ns=1;s=Other', dataType: 'Double', value: value(3, 'Double') }),
        ],
        { truncated: true },
      ),
      { id: 'copy' },
    );
    expect(result.profile.variables.map((v) => [v.path, v.nodeId])).toEqual([
      ['Line/A_B', 'Line.AB'],
      ['Line/Count', undefined],
      ['Line/Temp', undefined],
      ['Other/Level', undefined],
    ]);
    expect(result.profile.namespaceUri).toBe('urn:acme:plc');
    expect(result.notes).toEqual([
      'The crawl stopped at its node budget: the snapshot holds only the 15 nodes it reached.',
      'Skipped 1 array.',
      'Skipped 1 variable of type Range.',
      'Skipped 1 property or component of a variable.',
      'Skipped 1 variable whose node id repeats one of another namespace.',
      'Skipped 1 method: the simulator has none.',
      '1 browse name with "/" became "_" in simulator paths.',
      '1 variable had a numeric, GUID or opaque node id: the simulator serves it as ns=1;s=<path with "." between names>.',
      '1 variable came from namespaces other than urn:acme:plc: the simulator serves them in that one namespace.',
    ]);
  });

  it('finds the device nodes and the variables worth a tag', () => {
    const nodes = crawl([
      OBJECTS,
      node('/Objects/Server', { nodeId: 'i=2253', parent: 'i=85', nodeClass: 'Object' }),
      node('/Objects/Server/Sessions', { nodeId: 'ns=1;i=9', parent: 'i=2253', nodeClass: 'Object' }),
      node('/Objects/Server/Sessions/Count', { nodeId: 'ns=1;i=10', parent: 'ns=1;i=9' }),
      LINE,
      node('/Objects/Line/Temp', { nodeId: 'ns=2;s=Line.Temp', parent: 'ns=2;s=Line' }),
      node('/Objects/Line/Temp/EURange', { nodeId: 'ns=2;s=Line.Temp-EURange', parent: 'ns=2;s=Line.Temp' }),
    ]).nodes;
    expect(deviceNodes(nodes).map((n) => n.nodeId)).toEqual(['ns=2;s=Line', 'ns=2;s=Line.Temp', 'ns=2;s=Line.Temp-EURange']);
    expect(importableVariables(nodes).map((n) => n.nodeId)).toEqual(['ns=2;s=Line.Temp']);
  });
});

describe('request schemas', () => {
  it('checks that the security mode and policy go together', () => {
    expect(opcuaTarget.safeParse({ endpointUrl: 'opc.tcp://plc:4840' }).data).toEqual({ endpointUrl: 'opc.tcp://plc:4840', securityMode: 'None', securityPolicy: 'None', auth: { kind: 'anonymous' } });
    const mismatch = opcuaTarget.safeParse({ endpointUrl: 'opc.tcp://plc:4840', securityMode: 'Sign', securityPolicy: 'None' });
    expect(mismatch.error?.issues[0]).toMatchObject({ path: ['securityPolicy'] });
    expect(opcuaTarget.safeParse({ endpointUrl: 'http://plc' }).error?.issues[0]?.message).toBe('endpointUrl must be an opc.tcp://host:port URL');
  });

  it('gives crawls a root, a depth and a budget by default', () => {
    expect(opcuaCrawlRequest.parse({})).toEqual({ root: 'i=85', maxDepth: 64, budget: 100_000, values: true });
    expect(opcuaCrawlRequest.safeParse({ budget: 0 }).success).toBe(false);
  });
});
