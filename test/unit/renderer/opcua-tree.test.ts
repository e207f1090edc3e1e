// The OPC UA browser's pure parts: the rows of the lazy tree (pages, "more…", cycles, status rows),
// the variables a selection stands for, GoTo chains, and the session target a device gives.
import { describe, expect, it } from 'vitest';
import type { OpcuaReference } from '../../../src/shared/discovery/opcua.ts';
import { deviceFile } from '../../../src/shared/model/device.ts';
import { browseTarget, deviceSettings, groupedThumbprint, settingsOf, type OpcuaDevice } from '../../../src/renderer/features/devices/opcua/target.ts';
import {
  childKey,
  flattenTree,
  keysOfChain,
  nodeIcon,
  nodeIdOfKey,
  parentKeyOf,
  variablesOf,
  type NodeChildren,
  type NodeRow,
} from '../../../src/renderer/features/devices/opcua/tree-model.ts';

const ref = (nodeId: string, name: string, nodeClass: OpcuaReference['nodeClass'], extra: Partial<OpcuaReference> = {}): OpcuaReference => ({
  nodeId,
  browseName: { namespaceIndex: 1, name },
  displayName: name,
  nodeClass,
  referenceType: nodeClass === 'Variable' ? 'HasComponent' : 'Organizes',
  ...extra,
});

const loaded = (refs: OpcuaReference[], extra: Partial<NodeChildren> = {}): NodeChildren => ({ refs, loading: false, ...extra });

const capper = ref('ns=1;s=Capper', 'Capper', 'Object', { hasChildren: true });
const speed = ref('ns=1;s=Capper.Speed', 'Speed', 'Variable', { hasChildren: true });
const slash = ref('ns=1;s=Capper.A/B', 'A/B', 'Variable', { hasChildren: false });

describe('flattenTree', () => {
  it('shows the children of Objects, and below expanded rows their children with paths', () => {
    const children = new Map([
      ['i=85', loaded([capper])],
      ['ns=1;s=Capper', loaded([speed, slash])],
    ]);
    const collapsed = flattenTree(children, new Set());
    expect(collapsed.map((r) => r.type === 'node' && r.path)).toEqual(['/Objects/Capper']);
    const rows = flattenTree(children, new Set(['ns=1;s=Capper']));
    expect(rows.filter((r): r is NodeRow => r.type === 'node').map((r) => [r.depth, r.path, r.expandable])).toEqual([
      [0, '/Objects/Capper', true],
      [1, '/Objects/Capper/Speed', true],
      [1, '/Objects/Capper/A&/B', false],
    ]);
    expect(nodeIdOfKey(rows[2]!.key)).toBe('ns=1;s=Capper.A/B');
    expect(parentKeyOf(rows[2]!.key)).toBe('ns=1;s=Capper');
  });

  it('offers "more…" while the server has more, and says loading, empty or the error', () => {
    const rows = flattenTree(
      new Map([
        ['i=85', loaded([capper, ref('ns=1;s=Empty', 'Empty', 'Object'), ref('ns=1;s=Bad', 'Bad', 'Object')], { continuation: 'ab' })],
        ['ns=1;s=Empty', loaded([])],
        ['ns=1;s=Bad', loaded([], { error: 'BadNodeIdUnknown' })],
      ]),
      new Set(['ns=1;s=Capper', 'ns=1;s=Empty', 'ns=1;s=Bad']),
    );
    expect(rows.map((r) => (r.type === 'node' ? r.ref.displayName : r.type === 'more' ? `more ${r.nodeId}` : r.text))).toEqual([
      'Capper',
      'loading…',
      'Empty',
      '(no children)',
      'Bad',
      'BadNodeIdUnknown',
      'more i=85',
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it('does not expand a node below itself (the address space is a graph)', () => {
    const loop = ref('ns=1;s=Capper', 'Capper', 'Object', { referenceType: 'HasNotifier' });
    const rows = flattenTree(new Map([['i=85', loaded([capper])], ['ns=1;s=Capper', loaded([loop])]]), new Set(['ns=1;s=Capper', childKey('ns=1;s=Capper', 'ns=1;s=Capper')]));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ type: 'node', expanded: false, expandable: false });
  });
});

describe('selection and GoTo', () => {
  it('takes a variable as itself and an object as the variables directly below it', () => {
    const children = new Map([
      ['i=85', loaded([capper])],
      ['ns=1;s=Capper', loaded([speed, ref('ns=1;s=Capper.Folder', 'Folder', 'Object'), slash])],
    ]);
    const rows = flattenTree(children, new Set(['ns=1;s=Capper'])).filter((r): r is NodeRow => r.type === 'node');
    expect(variablesOf([rows[0]!], children).map((v) => v.path)).toEqual(['/Objects/Capper/Speed', '/Objects/Capper/A&/B']);
    // The variable and its object together: each variable once.
    expect(variablesOf([rows[1]!, rows[0]!], children).map((v) => v.nodeId)).toEqual(['ns=1;s=Capper.Speed', 'ns=1;s=Capper.A/B']);
    expect(variablesOf([rows[0]!], new Map())).toEqual([]);
  });

  it('turns a goto chain into the row keys below Objects', () => {
    const chain = [{ nodeId: 'i=84' }, { nodeId: 'i=85' }, { nodeId: 'ns=1;s=Capper' }, { nodeId: 'ns=1;s=Capper.Speed' }];
    expect(keysOfChain(chain)).toEqual(['ns=1;s=Capper', childKey('ns=1;s=Capper', 'ns=1;s=Capper.Speed')]);
    expect(keysOfChain([{ nodeId: 'i=84' }, { nodeId: 'i=86' }])).toBeUndefined();
  });

  it('gives folders, objects, variables, properties and methods their own icon', () => {
    expect(nodeIcon(ref('i=61', 'F', 'Object', { typeDefinitionName: 'FolderType' })).cls).toBe('folder');
    expect(nodeIcon(capper).cls).toBe('object');
    expect(nodeIcon(speed).cls).toBe('variable');
    expect(nodeIcon(ref('x', 'EURange', 'Variable', { referenceType: 'HasProperty' })).cls).toBe('property');
    expect(nodeIcon(ref('m', 'Start', 'Method')).cls).toBe('method');
  });
});

describe('browse target', () => {
  const device = (extra: object): OpcuaDevice =>
    deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id: 'capper', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840/x', ...extra }) as OpcuaDevice;

  it("uses the device file's endpoint and security by default", () => {
    const d = device({ securityMode: 'Sign', securityPolicy: 'Basic256Sha256' });
    expect(browseTarget(d, deviceSettings(d))).toEqual({
      target: { endpointUrl: 'opc.tcp://127.0.0.1:4840/x', securityMode: 'Sign', securityPolicy: 'Basic256Sha256', auth: { kind: 'anonymous' } },
    });
  });

  it('browses a user-name device as the device (the host resolves its password), or anonymously when chosen', () => {
    const d = device({ auth: { kind: 'username', username: 'op', password: '${secret:CAPPER_PW}' } });
    const session = browseTarget(d, deviceSettings(d));
    expect(session).toEqual({ target: { endpointUrl: 'opc.tcp://127.0.0.1:4840/x', securityMode: 'None', securityPolicy: 'None' }, deviceId: 'capper' });
    expect(JSON.stringify(session)).not.toContain('CAPPER_PW');
    expect(browseTarget(d, { ...deviceSettings(d), anonymous: true })).toEqual({ target: { ...session.target, auth: { kind: 'anonymous' } } });
  });

  it('picks settings only from endpoints Plantbench speaks, and groups thumbprints', () => {
    const ep = { endpointUrl: 'x', securityLevel: 1, userTokens: [] };
    expect(settingsOf({ ...ep, securityMode: 'Sign', securityPolicy: 'Basic256Sha256' }, false)).toEqual({ securityMode: 'Sign', securityPolicy: 'Basic256Sha256', anonymous: false });
    expect(settingsOf({ ...ep, securityMode: 'Sign', securityPolicy: 'Basic128Rsa15' }, false)).toBeUndefined();
    expect(groupedThumbprint('0a1b2c')).toBe('0A:1B:2C');
  });
});
