import { describe, expect, it } from 'vitest';
import { deviceFile, type DeviceFile } from '../../../src/shared/model/device.ts';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';
import { replayProfile, type RecordedTagRef } from '../../../src/shared/replay-profile.ts';

// A recording → the simulator profile that stands in for one device, at the device's addresses.

const device = (fields: Record<string, unknown>): DeviceFile => deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', ...fields });
const rec = (path: string, samples = 10, dataType?: string): RecordedTagRef => {
  const [d, ...t] = path.split('/');
  return { path, device: d, tag: t.join('/'), samples, ...(dataType ? { dataType } : {}) };
};

describe('replay profile', () => {
  it('serves a Modbus device at its wire offsets and types, with scale, naming tags gone and unrecorded', () => {
    const plc = device({
      id: 'plc',
      protocol: 'modbus',
      transport: { kind: 'tcp', host: '10.0.0.5' },
      unitId: 3,
      addressBase: 1,
      tags: [
        { name: 'temp', area: 'holding', address: 1, type: 'int16', scale: { factor: 0.1, offset: 0 } },
        { name: 'flow', area: 'input', address: 11, type: 'float32', order: 'CDAB' },
        { name: 'flow_raw', area: 'input', address: 11, type: 'uint16' },
        { name: 'run', area: 'holding', address: 21, type: 'bit', bit: 3 },
        { name: 'alarm', area: 'holding', address: 21, type: 'bit', bit: 4 },
        { name: 'pump', area: 'coil', address: 1, type: 'bool' },
      ],
    });
    const { profile, replayed, gone, unrecorded, notes } = replayProfile(plc, [rec('plc/temp'), rec('plc/flow'), rec('plc/run'), rec('plc/old'), rec('plc/pump', 0), rec('other/x')], { id: 'plc-replay', recording: 7, speed: 4, loop: false });
    expect(simulatorFile.parse(profile)).toEqual(profile);
    expect(profile).toMatchObject({ id: 'plc-replay', device: 'plc', protocol: 'modbus', unitId: 3, bind: { host: '127.0.0.1', port: 0 }, replay: { recording: 7, speed: 4, loop: false } });
    if (profile.protocol !== 'modbus') throw new Error('modbus expected');
    expect(profile.points.map((p) => [p.name, p.area, p.address, p.type, p.signal ?? p.value])).toEqual([
      ['temp', 'holding', 0, 'int16', { kind: 'replay', tag: 'plc/temp', scale: { factor: 0.1, offset: 0 } }],
      ['flow', 'input', 10, 'float32', { kind: 'replay', tag: 'plc/flow' }],
      ['run', 'holding', 20, 'bit', { kind: 'replay', tag: 'plc/run' }],
      ['alarm', 'holding', 20, 'bit', false],
      ['pump', 'coil', 0, 'bool', false],
    ]);
    expect(replayed).toEqual(['temp', 'flow', 'run']);
    expect(gone).toEqual(['old']);
    expect(unrecorded).toEqual(['alarm', 'pump']);
    expect(notes).toEqual([
      'Tag flow_raw is left out: it shares registers with flow.',
      'Recorded tag no longer on device plc, not replayed: old.',
      'Not in the recording, served as a constant: alarm, pump.',
    ]);
  });

  it('serves OPC UA string node ids, keeping a namespace URI and saying what it cannot serve', () => {
    const uri = device({
      id: 'cell',
      protocol: 'opcua',
      endpoint: 'opc.tcp://plc:4840/ua/server',
      tags: [
        { name: 'speed', nodeId: 'nsu=urn:acme:cell;s=Cell.Speed', unit: 'rpm' },
        { name: 'on', nodeId: 'nsu=urn:acme:cell;s=Cell/Motor.On', writable: true },
        { name: 'count', nodeId: 'nsu=urn:acme:cell;i=1001' },
      ],
    });
    const { profile, notes } = replayProfile(uri, [rec('cell/speed', 5, 'number'), rec('cell/on', 5, 'boolean'), rec('cell/count', 5, 'number')], { id: 'cell', recording: 1 });
    expect(simulatorFile.parse(profile)).toEqual(profile);
    if (profile.protocol !== 'opcua') throw new Error('opcua expected');
    expect(profile).toMatchObject({ namespaceUri: 'urn:acme:cell', resourcePath: '/ua/server', replay: { recording: 1, speed: 1, loop: true } });
    expect(profile.variables).toEqual([
      { path: 'Cell/Speed', dataType: 'Double', unit: 'rpm', writable: false, signal: { kind: 'replay', tag: 'cell/speed' }, updateMs: 1000 },
      { path: 'Cell_Motor/On', nodeId: 'Cell/Motor.On', dataType: 'Boolean', writable: true, signal: { kind: 'replay', tag: 'cell/on' }, updateMs: 1000 },
    ]);
    expect(notes).toEqual(['Tag count is left out: its node id nsu=urn:acme:cell;i=1001 is not a string id, which the simulator cannot serve.']);

    const ns2 = device({ id: 'cell', protocol: 'opcua', endpoint: 'opc.tcp://plc:4840', tags: [{ name: 'speed', nodeId: 'ns=2;s=Speed' }] });
    expect(replayProfile(ns2, [rec('cell/speed')], { id: 'cell', recording: 1 }).notes).toEqual([
      "The device addresses namespace index 2; the simulator serves its variables at ns=1. Write the device's node ids as nsu=<namespace URI>;s=… to run unchanged against both.",
    ]);
  });

  it('publishes MQTT topics with one replayed field per JSON tag, and leaves out what it cannot publish', () => {
    const broker = device({
      id: 'pal',
      protocol: 'mqtt',
      url: 'mqtt://broker:1883',
      tags: [
        { name: 'pallets', topic: 'pal/status', payload: { format: 'json', field: 'pallets' } },
        { name: 'mode', topic: 'pal/status', payload: { format: 'json', field: 'mode' } },
        { name: 'temp', topic: 'pal/temp', payload: { format: 'raw' } },
        { name: 'deep', topic: 'pal/x', payload: { format: 'json', field: 'a.b' } },
        { name: 'any', topic: 'pal/+/y', payload: { format: 'raw' } },
        { name: 'spb', topic: 'spBv1.0/g/DDATA/n/d', payload: { format: 'sparkplug', metric: 'm' } },
      ],
    });
    const { profile, replayed, notes } = replayProfile(broker, ['pallets', 'mode', 'temp', 'deep', 'any', 'spb'].map((t) => rec(`pal/${t}`)), { id: 'pal', recording: 2 });
    expect(simulatorFile.parse(profile)).toEqual(profile);
    if (profile.protocol !== 'mqtt') throw new Error('mqtt expected');
    expect(profile.topics).toEqual([
      { topic: 'pal/status', format: 'json', intervalMs: 1000, retain: false, fields: { pallets: { kind: 'replay', tag: 'pal/pallets' }, mode: { kind: 'replay', tag: 'pal/mode' } } },
      { topic: 'pal/temp', format: 'raw', intervalMs: 1000, retain: false, fields: { value: { kind: 'replay', tag: 'pal/temp' } } },
    ]);
    expect(replayed).toEqual(['pallets', 'mode', 'temp']);
    expect(notes).toEqual([
      'Tag deep is left out: only top-level JSON fields are replayed.',
      'Tag any is left out: its topic pal/+/y is a filter, not a topic a device publishes.',
      'Tag spb is left out: Sparkplug B payloads are not replayed.',
    ]);
  });

  it('refuses a replay signal in a profile that names no recording', () => {
    const result = simulatorFile.safeParse({
      apiVersion: 'plantbench/v1',
      kind: 'Simulator',
      id: 's',
      protocol: 'modbus',
      points: [{ name: 'a', area: 'holding', address: 0, signal: { kind: 'replay', tag: 'plc/a' } }],
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['points.0.signal', "a replay signal plays the profile's recording: add replay: { recording: <id> } at the top"]]);
  });
});
