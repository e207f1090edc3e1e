// Builds a simulator's address space from its profile: folders from variable paths, variables of
// every basic type (AnalogItemType with EURange and EngineeringUnits where a unit or range is
// given), signal timers grouped by update interval, and the optional PackML state machine.
// Per-variable work is kept to the node itself, so 50k-variable spaces build quickly.
import {
  DataType,
  StatusCodes,
  Variant,
  VariantArrayType,
  makeEUInformation,
  standardUnits,
  type AddressSpace,
  type Namespace,
  type StatusCode,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import type { SimulatorFile } from '../../shared/model/simulator.ts';
import { createSignal, type CsvSeries, type SignalValue } from '../../shared/signals.ts';
import { playReplay, type LoadedReplay } from '../replay.ts';
import { PackmlMachine } from './packml.ts';

export type OpcuaSimulatorProfile = Extract<SimulatorFile, { protocol: 'opcua' }>;
type VariableSpec = OpcuaSimulatorProfile['variables'][number];
export type SimDataType = VariableSpec['dataType'];

type EUInformation = ReturnType<typeof makeEUInformation>;

const INTEGER_RANGES: Partial<Record<SimDataType, readonly [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

const NUMERIC: ReadonlySet<SimDataType> = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double']);

/** node-opcua carries 64-bit integers as [high, low] unsigned 32-bit words (two's complement). */
function to64(value: bigint, signed: boolean): [number, number] {
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  const clamped = value < min ? min : value > max ? max : value;
  const bits = BigInt.asUintN(64, clamped);
  return [Number(bits >> 32n), Number(bits & 0xffffffffn)];
}

/** A signal or profile value as the JS value node-opcua expects for `dataType`. */
export function simulatedValue(dataType: SimDataType, value: SignalValue | Date, now: Date): unknown {
  switch (dataType) {
    case 'Boolean':
      return typeof value === 'boolean' ? value : typeof value === 'number' ? value > 0 : value === 'true';
    case 'String':
      return value instanceof Date ? value.toISOString() : String(value);
    case 'DateTime':
      if (value instanceof Date) return value;
      // A DateTime driven by a signal shows the time of the update; a constant is an ISO date or epoch ms.
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
      return typeof value === 'number' && value > 1e11 ? new Date(value) : now;
    case 'Int64':
    case 'UInt64': {
      const n = toNumber(value);
      return to64(BigInt(Math.round(Number.isFinite(n) ? n : 0)), dataType === 'Int64');
    }
    case 'Float':
    case 'Double': {
      const n = toNumber(value);
      return Number.isFinite(n) ? n : 0;
    }
    default: {
      const [lo, hi] = INTEGER_RANGES[dataType]!;
      const n = Math.round(toNumber(value));
      return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : 0;
    }
  }
}

function toNumber(value: SignalValue | Date): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  return Number(value);
}

function defaultValue(dataType: SimDataType): SignalValue {
  return dataType === 'Boolean' ? false : dataType === 'String' ? '' : 0;
}

let unitIndex: Map<string, EUInformation> | undefined;
/** EngineeringUnits for a unit symbol: the UNECE entry when node-opcua knows it, else unitId -1. */
function engineeringUnits(unit: string): EUInformation {
  unitIndex ??= new Map(Object.values(standardUnits).map((eu) => [String(eu.displayName?.text ?? ''), eu]));
  const known = unitIndex.get(unit);
  if (known) return known;
  const eu = makeEUInformation('', unit, unit);
  eu.unitId = -1;
  return eu;
}

export interface SimVariable {
  readonly path: string;
  readonly nodeId: string;
  readonly dataType: SimDataType;
  readonly node: UAVariable;
}

export interface BuiltAddressSpace {
  readonly variables: ReadonlyMap<string, SimVariable>;
  readonly packml?: PackmlMachine;
  /** Sets a value as the device would: source timestamp now unless given, status Good unless given. */
  setValue(path: string, value: SignalValue | null, status?: StatusCode, sourceTimestamp?: Date): void;
  dispose(): void;
}

export interface BuildOptions {
  /** Series of the csv signals, by variable path (read beforehand: building does no I/O). */
  readonly csv: ReadonlyMap<string, CsvSeries>;
  /** The samples of the replay signals, in the order of the variables that have one (read beforehand). */
  readonly replay?: LoadedReplay;
  readonly packmlTransitionMs: number;
}

let statusByCode: Map<number, StatusCode> | undefined;
/** The StatusCode of a recorded status code; a generic Bad or Uncertain when this stack does not know it. */
function statusOf(code: number | undefined, quality: 'uncertain' | 'bad'): StatusCode {
  statusByCode ??= new Map(Object.values(StatusCodes).map((c: StatusCode) => [c.value, c]));
  return (code !== undefined ? statusByCode.get(code) : undefined) ?? (quality === 'bad' ? StatusCodes.Bad : StatusCodes.Uncertain);
}

/** `ns=1;s=<id>`: the profile's nodeId, or its path with "/" as ".". */
export function stringId(spec: { path: string; nodeId?: string }): string {
  return spec.nodeId ?? spec.path.split('/').join('.');
}

export function buildAddressSpace(addressSpace: AddressSpace, profile: OpcuaSimulatorProfile, options: BuildOptions): BuiltAddressSpace {
  const ns: Namespace = addressSpace.getOwnNamespace();
  const objects = addressSpace.rootFolder.objects;
  const folders = new Map<string, UAObject>();
  const variables = new Map<string, SimVariable>();
  const usedIds = new Set<string>();
  const baseAnalogType = addressSpace.findVariableType('BaseAnalogType');
  const timers: NodeJS.Timeout[] = [];
  /** PackML transition timers. */
  const pending = new Set<NodeJS.Timeout>();

  const folderFor = (parts: readonly string[]): UAObject => {
    if (parts.length === 0) return objects;
    const key = parts.join('/');
    const known = folders.get(key);
    if (known) return known;
    const parent = folderFor(parts.slice(0, -1));
    const folder = ns.addFolder(parent, { browseName: parts[parts.length - 1]!, nodeId: `s=Folder.${parts.join('.')}` });
    folders.set(key, folder);
    return folder;
  };

  const addVariable = (spec: {
    path: string;
    nodeId?: string;
    dataType: SimDataType;
    unit?: string;
    range?: { low: number; high: number };
    writable: boolean;
    binding?: { get: () => Variant; set: (v: Variant) => StatusCode };
  }): SimVariable => {
    const parts = spec.path.split('/');
    const name = parts.pop()!;
    const id = stringId(spec);
    if (usedIds.has(id) || variables.has(spec.path)) throw new Error(`variable ${spec.path}: node id ns=1;s=${id} is used twice`);
    usedIds.add(id);
    const access = spec.writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
    const common = {
      organizedBy: folderFor(parts),
      browseName: name,
      nodeId: `s=${id}`,
      dataType: spec.dataType,
      accessLevel: access,
      userAccessLevel: access,
      // 0: values are pushed (setValueFromSource), so subscriptions can be exception-based; a getter is sampled.
      minimumSamplingInterval: spec.binding ? 100 : 0,
      ...(spec.binding ? { value: spec.binding } : {}),
    };
    const numeric = NUMERIC.has(spec.dataType);
    let node: UAVariable;
    if (numeric && spec.range) {
      node = ns.addAnalogDataItem({
        ...common,
        engineeringUnitsRange: spec.range,
        ...(spec.unit ? { engineeringUnits: engineeringUnits(spec.unit) } : {}),
      });
    } else if (numeric && spec.unit) {
      // A unit without a range: BaseAnalogType with EngineeringUnits (AnalogItemType would need an EURange).
      node = ns.addVariable({ ...common, typeDefinition: baseAnalogType ?? undefined });
      ns.addVariable({
        propertyOf: node,
        browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
        typeDefinition: 'PropertyType',
        dataType: 'EUInformation',
        accessLevel: 'CurrentRead',
        minimumSamplingInterval: 0,
        value: new Variant({ dataType: DataType.ExtensionObject, value: engineeringUnits(spec.unit) }),
      });
    } else {
      node = ns.addVariable(common);
    }
    const variable: SimVariable = { path: spec.path, nodeId: `ns=1;s=${id}`, dataType: spec.dataType, node };
    variables.set(spec.path, variable);
    return variable;
  };

  const write = (v: SimVariable, value: SignalValue | Date, now: Date, status: StatusCode = StatusCodes.Good, sourceTimestamp = now): void => {
    v.node.setValueFromSource(
      new Variant({ dataType: DataType[v.dataType], arrayType: VariantArrayType.Scalar, value: simulatedValue(v.dataType, value, now) }),
      status,
      sourceTimestamp,
    );
  };

  // Variables, then one timer per distinct update interval for the signal-driven ones.
  const startedAt = Date.now();
  const driven = new Map<number, { v: SimVariable; signal: (t: number) => SignalValue }[]>();
  const now = new Date(startedAt);
  const replayed: SimVariable[] = [];
  for (const spec of profile.variables as readonly VariableSpec[]) {
    const v = addVariable(spec);
    if (spec.signal?.kind === 'replay') {
      replayed.push(v);
      write(v, spec.value ?? defaultValue(spec.dataType), now);
    } else if (spec.signal) {
      const signal = createSignal(spec.signal, options.csv.get(spec.path));
      write(v, signal(0), now);
      const group = driven.get(spec.updateMs) ?? [];
      group.push({ v, signal });
      driven.set(spec.updateMs, group);
    } else {
      write(v, spec.value ?? defaultValue(spec.dataType), now);
    }
  }
  for (const [ms, group] of driven) {
    timers.push(
      setInterval(() => {
        const t = Date.now();
        const at = new Date(t);
        for (const { v, signal } of group) write(v, signal(t - startedAt), at);
      }, ms),
    );
  }

  // Replay: the recorded values with their quality; a recorded status code is served as it was.
  const player =
    options.replay &&
    playReplay(options.replay, profile.replay!, (events) => {
      const at = new Date();
      for (const e of events) {
        const v = replayed[e.tag]!;
        const status = e.quality === 'good' ? StatusCodes.Good : statusOf(e.status?.code, e.quality);
        if (e.value === null || typeof e.value === 'object') v.node.setValueFromSource(new Variant({ dataType: DataType.Null }), status, at);
        else write(v, e.value, at, status);
      }
    });

  // PackML: State follows the machine; a written Command drives it and is refused when not allowed.
  let packml: PackmlMachine | undefined;
  if (profile.packml) {
    const folder = profile.packml.folder;
    let lastCommand = 0;
    let stateVar: SimVariable | undefined = undefined;
    packml = new PackmlMachine({
      transitionMs: options.packmlTransitionMs,
      schedule: (fn, ms) => {
        const t = setTimeout(() => {
          pending.delete(t);
          fn();
        }, ms);
        pending.add(t);
        return () => {
          clearTimeout(t);
          pending.delete(t);
        };
      },
      onChange: (state) => {
        if (stateVar) write(stateVar, state, new Date());
      },
    });
    const machine = packml;
    stateVar = addVariable({ path: `${folder}/State`, dataType: 'Int32', writable: false });
    write(stateVar, machine.state, now);
    addVariable({
      path: `${folder}/Command`,
      dataType: 'Int32',
      writable: true,
      binding: {
        get: () => new Variant({ dataType: DataType.Int32, value: lastCommand }),
        set: (variant) => {
          const code = Number(variant.value);
          const result = machine.command(code);
          if (result === 'unknown-command') return StatusCodes.BadOutOfRange;
          if (result === 'invalid-state') return StatusCodes.BadInvalidState;
          lastCommand = code;
          return StatusCodes.Good;
        },
      },
    });
  }

  return {
    variables,
    packml,
    setValue(path, value, status = StatusCodes.Good, sourceTimestamp) {
      const v = variables.get(path);
      if (!v) throw new Error(`the simulator has no variable "${path}"`);
      const at = new Date();
      if (value === null) {
        v.node.setValueFromSource(new Variant({ dataType: DataType.Null }), status, sourceTimestamp ?? at);
        return;
      }
      write(v, value, at, status, sourceTimestamp ?? at);
    },
    dispose() {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      player?.stop();
      packml?.dispose();
      for (const t of pending) clearTimeout(t);
      pending.clear();
    },
  };
}
