// The simulated OPC UA device, seen by a plain node-opcua client (not our connector).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  DataType,
  OPCUACertificateManager,
  OPCUAClient,
  standardUnits,
  type ClientSession,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { cleanupTempDirs, startSim, tempDir } from '../helpers/opcua.ts';
import { sleep } from '../helpers/wait.ts';

const TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime'] as const;

let pki: OPCUACertificateManager;
beforeAll(async () => {
  pki = new OPCUACertificateManager({ rootFolder: join(tempDir(), 'client-pki'), disableFileWatchers: true });
  await pki.initialize();
});
afterAll(async () => {
  await pki.dispose();
  cleanupTempDirs();
});

async function withSession<T>(sim: RunningOpcuaSimulator, fn: (session: ClientSession, client: OPCUAClient) => Promise<T>): Promise<T> {
  const client = OPCUAClient.create({ endpointMustExist: false, clientCertificateManager: pki, connectionStrategy: { maxRetry: 0 } });
  await client.connect(sim.endpoint);
  const session = await client.createSession();
  try {
    return await fn(session, client);
  } finally {
    await session.close();
    await client.disconnect();
  }
}

const value = async (session: ClientSession, nodeId: string, attributeId = AttributeIds.Value) =>
  (await session.read({ nodeId, attributeId })).value.value as unknown;

describe('OPC UA simulator', () => {
  it('builds folders and variables of every basic type in namespace 1 with the profile URI', async () => {
    const sim = await startSim({
      namespaceUri: 'urn:acme:capper',
      resourcePath: '/capper',
      bind: { host: '127.0.0.5', port: 0 },
      variables: [
        ...TYPES.map((t) => ({ path: `Machine/Types/${t}`, dataType: t, writable: t === 'Int16' })),
        { path: 'Machine/Custom', nodeId: 'CP20.Custom', dataType: 'Double', value: 1.5 },
      ],
    });
    try {
      // The endpoint and the advertised endpoints use the bind address, never the machine name.
      expect(sim.endpoint).toBe(`opc.tcp://127.0.0.5:${sim.port}/capper`);
      await withSession(sim, async (session, client) => {
        const endpoints = await client.getEndpoints();
        expect(new Set(endpoints.map((e) => e.endpointUrl))).toEqual(new Set([sim.endpoint]));
        expect(new Set(endpoints.map((e) => `${e.securityMode}:${e.securityPolicyUri!.split('#')[1]}`))).toEqual(
          new Set(['1:None', '2:Basic256Sha256', '2:Aes128_Sha256_RsaOaep', '2:Aes256_Sha256_RsaPss', '3:Basic256Sha256', '3:Aes128_Sha256_RsaOaep', '3:Aes256_Sha256_RsaPss']),
        );
        expect(await session.readNamespaceArray()).toEqual(['http://opcfoundation.org/UA/', 'urn:acme:capper']);
        for (const t of TYPES) {
          const dataType = (await value(session, `ns=1;s=Machine.Types.${t}`, AttributeIds.DataType)) as { value: number };
          expect(DataType[dataType.value]).toBe(t);
        }
        expect(await value(session, 'ns=1;s=CP20.Custom')).toBe(1.5);
        expect(sim.nodeIds.get('Machine/Custom')).toBe('ns=1;s=CP20.Custom');
        const browse = await session.browse('ns=1;s=Folder.Machine');
        expect(browse.references!.map((r) => r.browseName.name).sort()).toEqual(['Custom', 'Types']);
        // Writable only where the profile says so.
        const writable = (await value(session, 'ns=1;s=Machine.Types.Int16', AttributeIds.AccessLevel)) as number;
        const readOnly = (await value(session, 'ns=1;s=Machine.Types.Int32', AttributeIds.AccessLevel)) as number;
        expect(writable & 2).toBe(2);
        expect(readOnly & 2).toBe(0);
      });
    } finally {
      await sim.stop();
    }
  });

  it('gives analog points EURange and EngineeringUnits (UNECE codes where known)', async () => {
    const sim = await startSim({
      variables: [
        { path: 'T/Temp', dataType: 'Float', unit: '°C', range: { low: -20, high: 120 }, value: 21 },
        { path: 'T/Speed', dataType: 'Double', unit: 'caps/min', range: { low: 0, high: 200 }, value: 120 },
        { path: 'T/Torque', dataType: 'Double', unit: 'N·m', value: 1.8 },
      ],
    });
    try {
      await withSession(sim, async (session) => {
        const property = async (nodeId: string, name: string) => {
          const refs = (await session.browse(nodeId)).references ?? [];
          const ref = refs.find((r) => r.browseName.name === name);
          return ref ? ((await session.read({ nodeId: ref.nodeId, attributeId: AttributeIds.Value })).value.value as Record<string, unknown>) : undefined;
        };
        expect(await property('ns=1;s=T.Temp', 'EURange')).toMatchObject({ low: -20, high: 120 });
        expect(await property('ns=1;s=T.Temp', 'EngineeringUnits')).toMatchObject({ unitId: standardUnits.degree_celsius.unitId, displayName: { text: '°C' } });
        expect(await property('ns=1;s=T.Speed', 'EngineeringUnits')).toMatchObject({ unitId: -1, displayName: { text: 'caps/min' } });
        // A unit without a range: EngineeringUnits, no EURange.
        expect(await property('ns=1;s=T.Torque', 'EngineeringUnits')).toMatchObject({ displayName: { text: 'N·m' } });
        expect(await property('ns=1;s=T.Torque', 'EURange')).toBeUndefined();
      });
    } finally {
      await sim.stop();
    }
  });

  it('updates signal-driven points every updateMs, including CSV replays', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'level.csv'), 'ms,level\n0,10\n100,20\n200,30\n');
    const sim = await startSim(
      {
        variables: [
          { path: 'S/Count', dataType: 'UInt32', signal: { kind: 'counter', everyMs: 50 }, updateMs: 50 },
          { path: 'S/Level', dataType: 'Double', signal: { kind: 'csv', file: 'level.csv', column: 'level', timeColumn: 'ms' }, updateMs: 50 },
          { path: 'S/Wave', dataType: 'Int16', signal: { kind: 'sine', amplitude: 1000, periodMs: 1000 }, updateMs: 50 },
        ],
      },
      { baseDir: dir },
    );
    try {
      await withSession(sim, async (session) => {
        const seen = { count: new Set<unknown>(), level: new Set<unknown>(), wave: new Set<unknown>() };
        for (let i = 0; i < 12; i++) {
          seen.count.add(await value(session, 'ns=1;s=S.Count'));
          seen.level.add(await value(session, 'ns=1;s=S.Level'));
          seen.wave.add(await value(session, 'ns=1;s=S.Wave'));
          await sleep(60);
        }
        expect(seen.count.size).toBeGreaterThan(3);
        expect([...seen.level].every((v) => [10, 20, 30].includes(v as number))).toBe(true);
        expect(seen.level.size).toBeGreaterThan(1);
        expect([...seen.wave].every((v) => Number.isInteger(v) && Math.abs(v as number) <= 1000)).toBe(true);
      });
    } finally {
      await sim.stop();
    }
  });

  it('refuses to start on a missing CSV file or a duplicate node id, naming it', async () => {
    await expect(startSim({ variables: [{ path: 'S/L', dataType: 'Double', signal: { kind: 'csv', file: 'nope.csv', column: 'x' } }] })).rejects.toThrow('nope.csv');
    await expect(startSim({ variables: [{ path: 'A/B', dataType: 'Double' }, { path: 'X', nodeId: 'A.B', dataType: 'Double' }] })).rejects.toThrow('node id ns=1;s=A.B is used twice');
  });

  it('serves a 50,000-variable address space', async () => {
    const n = 50_000;
    const sim = await startSim({
      variables: Array.from({ length: n }, (_, i) => ({
        path: `Area${Math.floor(i / 5000)}/Cell${Math.floor(i / 250) % 20}/Tag${i}`,
        dataType: i % 2 ? 'Double' : 'Int32',
        value: i,
      })),
    });
    try {
      expect(sim.nodeIds.size).toBe(n);
      await withSession(sim, async (session) => {
        expect(await value(session, `ns=1;s=Area9.Cell19.Tag${n - 1}`)).toBe(n - 1);
        const cell = await session.browse('ns=1;s=Folder.Area3.Cell7');
        expect(cell.references).toHaveLength(250);
      });
    } finally {
      await sim.stop();
    }
  });
});
