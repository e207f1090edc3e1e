import { pipelineFile, type PipelineFile } from '../../src/shared/model/pipeline.ts';
import type { TestCase } from '../../src/shared/model/pipeline-test.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { runTestCase, type CaseResult } from '../../src/engine/testing/runner.ts';

export const TEST_PROJECT = { uns: { enterprise: 'acme', site: 'plant1', area: 'packaging', line: 'line1' } };

/** Parses a pipeline given as plain data (the same schema as pipelines/*.yaml). */
export function pipeline(nodes: Record<string, unknown>, edges: { from: string; to: string }[] = []): PipelineFile {
  return pipelineFile.parse({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: 'p', name: 'test', nodes, edges }) as PipelineFile;
}

/** A one-node pipeline fed by an inert source `src`; returns what the node emitted per port. */
export async function runNode(
  type: string,
  config: unknown,
  inputs: { path?: string; value: unknown; ts: number; quality?: 'good' | 'uncertain' | 'bad'; meta?: unknown }[],
  options: { until?: number; ports?: string[] } = {},
): Promise<Record<string, CaseResult['outputs'][string]>> {
  const p = pipeline(
    { src: { type: 'signal', config: { path: 'x', shape: { kind: 'sine' } } }, node: { type, config } },
    [{ from: 'src', to: 'node' }],
  );
  const ports = options.ports ?? ['out', 'error'];
  const tc: TestCase = {
    name: type,
    until: options.until,
    inputs: { src: inputs.map((s) => ({ path: 'tag', quality: 'good', ...s })) as TestCase['inputs'][string] },
    expect: Object.fromEntries(ports.map((port) => [`node.${port}`, []])),
  };
  const result = await runTestCase(p, tc, { kinds: kindRegistry(ENGINE_KINDS), project: TEST_PROJECT });
  if (result.error) throw new Error(result.error);
  return Object.fromEntries(ports.map((port) => [port, result.outputs[`node.${port}`] ?? []]));
}
