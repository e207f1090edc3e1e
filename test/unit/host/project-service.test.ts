import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createWorkbench, type Workbench } from '../../../src/host/workbench.ts';
import { createRpcClient } from '../../../src/shared/rpc/client.ts';
import type { Events, Methods, WorkbenchClient } from '../../../src/shared/rpc/contract.ts';
import type { PayloadOf } from '../../../src/shared/rpc/define.ts';
import { memoryPortPair, RpcError } from '../../../src/shared/rpc/wire.ts';
import { copyExample } from '../../helpers/project.ts';
import { waitFor } from '../../helpers/wait.ts';

// The project service through the real contract (request validation included), on a throw-away
// copy of flows/bottling-line.

let open: { project: ReturnType<typeof copyExample>; workbench: Workbench; client: WorkbenchClient } | undefined;
afterEach(async () => {
  open?.client.close();
  await open?.workbench.close();
  open?.project.dispose();
  open = undefined;
});

function setup(prepare?: (root: string) => void) {
  const project = copyExample();
  // The example's own workspace (from runs of `npm start`) is not part of the project.
  rmSync(join(project.root, '.plantbench'), { recursive: true, force: true });
  prepare?.(project.root);
  const logs: string[] = [];
  const workbench = createWorkbench({ projectRoot: project.root, secrets: () => undefined, author: 'tester', log: (m) => logs.push(m) });
  const [hostPort, clientPort] = memoryPortPair();
  workbench.rpc.connect(hostPort);
  const client = createRpcClient<Methods, Events>(clientPort);
  const changes: PayloadOf<Events, 'project.changed'>[] = [];
  client.on('project.changed', (c) => changes.push(c));
  open = { project, workbench, client };
  return { root: project.root, client, changes, logs };
}

const FILLER = 'pipelines/filler-uns.yaml';

describe('project service', () => {
  it('summarises the open project', async () => {
    const { client } = setup();
    const summary = await client.call('project.get', {});
    expect(summary.name).toBe('Bottling line');
    expect(summary.pipelines.map((p) => p.id).sort()).toEqual(['capper-uns', 'filler-uns', 'palletizer-sparkplug']);
    expect(summary.devices.find((d) => d.id === 'filler')).toMatchObject({ protocol: 'modbus', endpoint: 'modbus-tcp://127.0.0.11:5020/1' });
    expect(summary.problems).toEqual([]);
  });

  it('reads a file by kind and id, never by path', async () => {
    const { root, client } = setup();
    const file = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    expect(file.file).toBe(FILLER);
    expect(file.text).toBe(readFileSync(join(root, FILLER), 'utf8'));
    expect((file.data as { id: string }).id).toBe('filler-uns');
    expect(file.hash).toMatch(/^[0-9a-f]{64}$/);
    const traversal = (await client.call('file.get', { kind: 'pipeline', id: '../../etc/passwd' }).catch((e: unknown) => e)) as RpcError;
    expect(traversal.code).toBe('invalid-request');
    await expect(client.call('file.get', { kind: 'device', id: 'nope' })).rejects.toThrow('there is no device "nope" in this project (no devices/nope.yaml)');
  });

  it('reads a file again after it changed on disk', async () => {
    const { root, client } = setup();
    const before = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    writeFileSync(join(root, FILLER), before.text.replace('name: Filler to UNS', 'name: Filler into the UNS').replace('rawHigh: 500', 'rawHigh: "500"'));
    const after = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    expect((after.data as { name: string }).name).toBe('Filler into the UNS');
    expect(after.hash).not.toBe(before.hash);
    expect(after.problems.map((p) => p.message)).toEqual(['Invalid input: expected number, received string']);
  });

  it('an unchanged save writes nothing and records no revision', async () => {
    const { root, client } = setup();
    const before = readFileSync(join(root, FILLER), 'utf8');
    const { data } = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    const result = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data });
    expect(result).toMatchObject({ saved: true, changed: false, problems: [] });
    expect(readFileSync(join(root, FILLER), 'utf8')).toBe(before);
    expect(await client.call('revision.list', { kind: 'pipeline', id: 'filler-uns' })).toEqual([]);
  });

  it('saves canonical YAML with a revision, keeping the file as found as the first revision', async () => {
    const { root, client, changes } = setup();
    const before = readFileSync(join(root, FILLER), 'utf8');
    const { data, hash } = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    // Keys in a scrambled order: the file still comes out canonical.
    const { nodes, edges, ...head } = data as Record<string, unknown>;
    const edited = { edges, nodes, ...head, name: 'Filler into the UNS' };
    const result = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: edited, baseHash: hash });
    expect(result).toMatchObject({ saved: true, changed: true, file: FILLER, problems: [] });
    const after = readFileSync(join(root, FILLER), 'utf8');
    expect(after).toBe(before.replace('name: Filler to UNS', 'name: Filler into the UNS'));

    const revisions = await client.call('revision.list', { kind: 'pipeline', id: 'filler-uns' });
    expect(revisions.map((r) => r.author)).toEqual(['tester', 'disk']);
    expect(revisions[0]!.revision).toBe(result.revision);
    expect((await client.call('revision.get', { revision: revisions[0]!.revision })).content).toBe(after);
    expect((await client.call('revision.get', { revision: revisions[1]!.revision })).content).toBe(before);
    await waitFor('the save event', () => changes.some((c) => c.source === 'save'));
    expect(changes.find((c) => c.source === 'save')).toEqual({ files: [FILLER], source: 'save' });

    // A second save records one more revision; the old hash no longer matches the file.
    const again = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: { ...edited, name: 'Filler' } });
    expect(again.changed).toBe(true);
    expect(await client.call('revision.list', { kind: 'pipeline', id: 'filler-uns' })).toHaveLength(3);
    await expect(client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: edited, baseHash: hash })).rejects.toThrow(/changed on disk since it was opened/);
  });

  it('refuses invalid data with located problems and writes nothing', async () => {
    const { root, client } = setup();
    const before = readFileSync(join(root, FILLER), 'utf8');
    const { data } = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    const pipeline = structuredClone(data) as { nodes: Record<string, { config: Record<string, unknown> }>; edges: { from: string; to: string }[] };
    pipeline.nodes['level-pct']!.config.rawHigh = '500';
    pipeline.nodes.bottles!.config.tags = ['bottlez'];
    const result = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: pipeline });
    expect(result.saved).toBe(false);
    expect(result.problems.map((p) => [p.file, p.path.join('.'), p.message])).toEqual([
      [FILLER, 'nodes.level-pct.config.rawHigh', 'Invalid input: expected number, received string'],
    ]);
    // Graph checks (devices and tags) run once the schema passes, as in `plantbench validate`.
    pipeline.nodes['level-pct']!.config.rawHigh = 500;
    const graph = await client.call('file.validate', { kind: 'pipeline', id: 'filler-uns', data: pipeline });
    expect(graph.problems).toMatchObject([{ file: FILLER, node: 'bottles', message: 'device "filler" has no tag "bottlez"' }]);
    expect(graph.problems[0]!.line).toBeGreaterThan(0);
    expect(readFileSync(join(root, FILLER), 'utf8')).toBe(before);
    expect(await client.call('revision.list', { kind: 'pipeline', id: 'filler-uns' })).toEqual([]);
  });

  it('creates a new file, and its id must match the name', async () => {
    const { root, client } = setup();
    const data = { apiVersion: 'plantbench/v1', kind: 'Pipeline', id: 'other', name: 'New line', nodes: {}, edges: [] };
    const wrong = await client.call('file.save', { kind: 'pipeline', id: 'new-line', data });
    expect(wrong.problems.map((p) => p.message)).toEqual(['id "other" must match the file name (pipelines/other.yaml)']);
    expect(existsSync(join(root, 'pipelines/new-line.yaml'))).toBe(false);
    const made = await client.call('file.save', { kind: 'pipeline', id: 'new-line', data: { ...data, id: 'new-line' } });
    expect(made).toMatchObject({ saved: true, changed: true, file: 'pipelines/new-line.yaml' });
    expect(parse(readFileSync(join(root, 'pipelines/new-line.yaml'), 'utf8'))).toMatchObject({ id: 'new-line', name: 'New line' });
    expect((await client.call('project.get', {})).pipelines.map((p) => p.id)).toContain('new-line');
  });

  it('reports edits made on disk, but not its own saves', async () => {
    const { root, client, changes } = setup();
    const { data } = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: { ...(data as object), name: 'Renamed' } });
    const device = join(root, 'devices/filler.yaml');
    writeFileSync(device, readFileSync(device, 'utf8').replace('name: Filler FL-100', 'name: Filler FL-200'));
    await waitFor('a disk change event', () => changes.some((c) => c.source === 'disk'));
    expect(changes.filter((c) => c.source === 'disk')).toEqual([{ files: ['devices/filler.yaml'], source: 'disk' }]);
  });

  it('starts with a damaged workspace DB, saves anyway, and repairs by moving it aside', async () => {
    const { root, client } = setup((r) => {
      mkdirSync(join(r, '.plantbench'), { recursive: true });
      writeFileSync(join(r, '.plantbench', 'workspace.db'), 'not a database '.repeat(300));
    });
    const status = await client.call('workspace.status', {});
    expect(status.state).toBe('damaged');
    expect(status.message).toMatch(/workspace database is damaged|cannot open the workspace database/);
    const { data } = await client.call('file.get', { kind: 'pipeline', id: 'filler-uns' });
    const saved = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: { ...(data as object), name: 'Renamed' } });
    expect(saved).toMatchObject({ saved: true, changed: true });
    expect(saved.warning).toMatch(/kept for this session only/);
    const statusEvents: string[] = [];
    client.on('workspace.status', (s) => statusEvents.push(s.state));
    const repaired = await client.call('workspace.repair', {});
    expect(repaired.state).toBe('ok');
    expect(repaired.movedAside).toHaveLength(1);
    expect(readFileSync(repaired.movedAside[0]!, 'utf8')).toMatch(/^not a database/);
    await waitFor('the status event', () => statusEvents.length > 0);
    expect(statusEvents).toEqual(['ok']);
    await expect(client.call('workspace.repair', {})).rejects.toThrow(/nothing to repair/);
    // The fresh database takes revisions again.
    const next = await client.call('file.save', { kind: 'pipeline', id: 'filler-uns', data: { ...(data as object), name: 'Again' } });
    expect(next.warning).toBeUndefined();
    expect(await client.call('revision.list', { kind: 'pipeline', id: 'filler-uns' })).toHaveLength(2);
    expect(existsSync(join(root, '.plantbench', 'workspace.db'))).toBe(true);
  });
});
