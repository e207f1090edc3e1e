// A generated OPC UA address space of about `nodes` nodes for discovery tests and the crawl benchmark:
// Plant/Area<a>/Line<l>/Machine<m> folders, each machine with 40 variables of mixed types (8 analog
// items with unit and range, whose EURange and EngineeringUnits properties are nodes too), all constants.
import type { OpcuaSimulatorProfile } from '../../src/simulators/opcua/index.ts';
import { simProfile } from './opcua.ts';

/** Nodes one machine adds: its folder, 40 variables and the 2 properties of each of its 8 analog items. */
export const NODES_PER_MACHINE = 1 + 40 + 16;

const PLAIN = [
  ['Running', 'Boolean', (i: number) => i % 2 === 0],
  ['Count', 'UInt32', (i: number) => i * 7],
  ['Mode', 'Int16', (i: number) => (i % 5) - 2],
  ['Recipe', 'String', (i: number) => `R-${i}`],
  ['Ratio', 'Float', (i: number) => (i % 100) / 4],
  ['Total', 'Int64', (i: number) => i * 1000],
  ['Alarm', 'Byte', (i: number) => i % 256],
  ['Setpoint', 'Double', (i: number) => i / 8],
] as const;

export function plantProfile(nodes: number, fields: Record<string, unknown> = {}): OpcuaSimulatorProfile {
  const machines = Math.max(1, Math.round(nodes / NODES_PER_MACHINE));
  const variables: Record<string, unknown>[] = [];
  for (let m = 0; m < machines; m++) {
    const folder = `Plant/Area${Math.floor(m / 100)}/Line${Math.floor(m / 10) % 10}/Machine${m % 10}`;
    for (let k = 0; k < 8; k++) {
      variables.push({ path: `${folder}/Sensor${k}`, dataType: 'Double', unit: k % 2 ? 'bar' : '°C', range: { low: 0, high: 100 + k }, value: (m + k) / 2 });
    }
    for (let k = 0; k < 32; k++) {
      const [name, dataType, value] = PLAIN[k % PLAIN.length]!;
      variables.push({ path: `${folder}/${name}${Math.floor(k / PLAIN.length)}`, dataType, value: value(m * 32 + k), writable: k % 8 === 7 });
    }
  }
  return simProfile({ id: 'plant', namespaceUri: 'urn:plantbench:plant', resourcePath: '/plant', variables, ...fields });
}
