import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importDeviceTags, ProjectWriteError, writeSimulatorProfile } from '../../../src/store/project-writes.ts';
import { loadProject } from '../../../src/store/project.ts';

const example = new URL('../../../flows/bottling-line', import.meta.url).pathname;

describe('project writes from discovery', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const copy = () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-writes-'));
    cpSync(example, dir, { recursive: true });
    return dir;
  };

  it('merges tags into an existing device by name, keeping the file canonical and valid', () => {
    const root = copy();
    const before = parse(readFileSync(join(root, 'devices/capper.yaml'), 'utf8')) as { tags: { name: string; nodeId: string }[] };
    const first = before.tags[0]!;
    const result = importDeviceTags(root, 'capper', 'opcua', [
      { name: first.name, nodeId: first.nodeId, writable: false },
      { name: first.name === 'Extra' ? 'Extra2' : 'Extra', nodeId: 'ns=1;s=Capper.Extra', unit: 'mm', writable: false },
      { name: before.tags[1]!.name, nodeId: 'ns=1;s=Somewhere.Else', writable: false },
    ]);
    expect(result.added).toEqual(['Extra']);
    expect(result.skipped).toEqual([before.tags[1]!.name]);
    expect(result.unchanged).toHaveLength(1);
    const loaded = loadProject(root);
    expect(loaded.problems).toEqual([]);
    const tags = loaded.devices.get('capper')!.model!.tags.map((t) => t.name);
    expect(tags.slice(0, before.tags.length)).toEqual(before.tags.map((t) => t.name));
    expect(tags.at(-1)).toBe('Extra');

    const replaced = importDeviceTags(root, 'capper', 'opcua', [{ name: before.tags[1]!.name, nodeId: 'ns=1;s=Somewhere.Else', writable: false }], { onConflict: 'replace' });
    expect(replaced.replaced).toEqual([before.tags[1]!.name]);
  });

  it('creates a missing device from the connection given, and refuses a protocol mismatch', () => {
    const root = copy();
    const created = importDeviceTags(root, 'press', 'modbus', [{ name: 'Speed', area: 'holding', address: 10, type: 'uint16', order: 'ABCD', writable: false }], {
      create: { apiVersion: 'plantbench/v1', kind: 'Device', id: 'press', protocol: 'modbus', transport: { kind: 'tcp', host: '127.0.0.40', port: 5020 }, unitId: 1, addressBase: 0, timeoutMs: 1000, retries: 1, pollGroups: [] },
    });
    expect(created).toMatchObject({ created: true, added: ['Speed'], file: 'devices/press.yaml' });
    expect(loadProject(root).devices.get('press')?.model?.protocol).toBe('modbus');
    expect(() => importDeviceTags(root, 'press', 'mqtt', [{ name: 'x', topic: 'a/b', payload: { format: 'json' } }])).toThrow(/speaks modbus, not mqtt/);
    expect(() => importDeviceTags(root, 'nosuch', 'mqtt', [])).toThrow(ProjectWriteError);
  });

  it('writes only valid simulator profiles', () => {
    const root = copy();
    const file = join(root, 'simulators/snap.yaml');
    writeSimulatorProfile(file, { apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'snap', protocol: 'mqtt', bind: { host: '127.0.0.1', port: 0 }, topics: [] });
    expect(loadProject(root).simulators.get('snap')?.model?.protocol).toBe('mqtt');
    expect(() => writeSimulatorProfile(file, { apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'Bad Id!', protocol: 'mqtt', bind: { host: '127.0.0.1', port: 0 }, topics: [] })).toThrow(/not a valid simulator profile: id/);
  });
});
